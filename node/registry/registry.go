package registry

import (
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"re6st-tui/node/identity"
)

// certInfo is what the registry remembers about a stored certificate.
type certInfo struct {
	pem      string
	serial   int64
	notAfter time.Time
	subject  int // subject serialNumber, -1 when absent
	email    sql.NullString
	pub      *rsa.PublicKey
	cert     *x509.Certificate
}

// Registry is a re6st registry. Its methods are safe for concurrent use.
type Registry struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	db  *sql.DB

	// mu guards the database and every field below it.
	mu         sync.RWMutex
	tree       *tree
	certs      map[string]*certInfo // by prefix, stored certificates only
	bySerial   map[int64]string     // X.509 serial → prefix
	subjects   map[int]int          // subject serials in use (with pending issuances)
	lowFree    int                  // no subject serial below this is free
	crl        map[int64]int64      // revoked serial → notAfter
	prefix     string               // registry node prefix, "" until the first issuance
	serial     int64                // last X.509 serial issued
	version    []byte
	netconf    []kv // network config without the per-node babel keys
	hmac       [3][]byte
	hmacSet    [3]bool
	validUntil float64   // HMAC rotation phase-1 deadline, 0 when none
	timeout    time.Time // next housekeeping; zero when nothing is pending

	// confGen changes whenever the served network config may change;
	// bodies caches each node's compressed config for one generation.
	confGen uint64
	bodies  sync.Map // prefix → *cachedBody

	sessions sessions
	query    sync.Mutex // serializes use of the ::1 channel
	peers    bootstrapCache
}

// Open opens or creates the database, loads it, runs housekeeping and
// refreshes the network config (bumping the version only if it changed).
func Open(cfg Config) (*Registry, error) {
	if cfg.CA == nil || cfg.CAKey == nil {
		return nil, errors.New("registry needs the CA certificate and its key (--ca, --key)")
	}
	if !cfg.CAKey.PublicKey.Equal(cfg.CA.Key) {
		return nil, errors.New("--key is not the private key of --ca: give the CA's own key")
	}
	if cfg.MinProtocol < 1 || cfg.MinProtocol > Protocol {
		return nil, fmt.Errorf("--min-protocol must be between 1 and %d", Protocol)
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 2 * cfg.ClientCount
	}
	if len(cfg.Communities) == 0 {
		cfg.Communities = []Community{{Prefix: "", Locations: []string{"*"}}}
	}
	r := &Registry{cfg: cfg, log: cfg.Log, now: cfg.Now}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	db, err := openDB(cfg.DB)
	if err != nil {
		return nil, err
	}
	r.db = db
	if err := r.load(); err != nil {
		db.Close()
		return nil, err
	}
	r.sessions.m = map[string][]session{}
	return r, nil
}

// Close closes the database.
func (r *Registry) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.db.Close()
}

func (r *Registry) load() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.loadState(); err != nil {
		return err
	}
	if err := checkCommunities(r.cfg.Communities, r.tree); err != nil {
		return err
	}
	if err := r.housekeepLocked(); err != nil {
		return err
	}
	if r.prefix != "" {
		return r.updateNetworkConfig(r.db)
	}
	// A new network signs babel traffic from the start.
	return r.newHMAC(r.db, 0, nil)
}

// loadState rebuilds the in-memory mirror from the database.
func (r *Registry) loadState() error {
	r.confGen++
	r.tree = newTree(r.cfg.CA.MaxPrefixLen())
	r.certs = map[string]*certInfo{}
	r.bySerial = map[int64]string{}
	r.subjects = map[int]int{}
	r.lowFree = 0
	r.crl = map[int64]int64{}
	v, err := getConfig(r.db, "prefix")
	if err != nil {
		return err
	}
	r.prefix, _ = asString(v)
	if v, err = getConfig(r.db, "serial"); err != nil {
		return err
	}
	r.serial = asInt(v)
	if v, err = getConfig(r.db, "serial"); err != nil {
		return err
	}
	r.serial = asInt(v)
	if v, err = getConfig(r.db, "version"); err != nil {
		return err
	}
	if b, ok := asBytes(v); ok && len(b) > 0 {
		r.version = b
	} else {
		r.version = []byte{0}
	}
	for i := range r.hmac {
		v, err := getConfig(r.db, hmacNames[i])
		if err != nil {
			return err
		}
		r.hmac[i], r.hmacSet[i] = asBytes(v)
	}
	if r.validUntil, err = readValidUntil(r.db); err != nil {
		return err
	}
	var n int
	if err := r.db.QueryRow("SELECT count(*) FROM cert").Scan(&n); err != nil {
		return fmt.Errorf("read cert table: %w", err)
	}
	if n == 0 {
		if _, err := r.db.Exec("INSERT INTO cert VALUES ('',null,null)"); err != nil {
			return fmt.Errorf("initialize cert table: %w", err)
		}
	}
	rows, err := r.db.Query("SELECT prefix, email, cert FROM cert")
	if err != nil {
		return fmt.Errorf("read cert table: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var prefix string
		var email, pem sql.NullString
		if err := rows.Scan(&prefix, &email, &pem); err != nil {
			return fmt.Errorf("read cert table: %w", err)
		}
		switch {
		case !pem.Valid:
			r.tree.set(prefix, rowFree)
		case pem.String == "reserved":
			r.tree.set(prefix, rowReserved)
		default:
			r.tree.set(prefix, rowAllocated)
			ci, err := parseCertInfo(pem.String)
			if err != nil {
				r.log.Warn("unreadable certificate in database", "prefix", prefix, "err", err)
				continue
			}
			ci.email = email
			r.addCert(prefix, ci)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read cert table: %w", err)
	}
	crl, err := r.db.Query("SELECT serial, date FROM crl")
	if err != nil {
		return fmt.Errorf("read crl table: %w", err)
	}
	defer crl.Close()
	for crl.Next() {
		var s, d int64
		if err := crl.Scan(&s, &d); err != nil {
			return fmt.Errorf("read crl table: %w", err)
		}
		r.crl[s] = d
	}
	return crl.Err()
}

func parseCertInfo(pem string) (*certInfo, error) {
	c, err := identity.ParseCertPEM([]byte(pem))
	if err != nil {
		return nil, err
	}
	ci := &certInfo{pem: pem, notAfter: c.NotAfter, subject: -1, cert: c}
	if c.SerialNumber.IsInt64() {
		ci.serial = c.SerialNumber.Int64()
	}
	if s, ok := identity.SubjectSerial(c); ok {
		ci.subject = s
	}
	ci.pub, _ = c.PublicKey.(*rsa.PublicKey)
	return ci, nil
}

func (r *Registry) addCert(prefix string, ci *certInfo) {
	if old, ok := r.certs[prefix]; ok {
		r.dropCert(prefix, old)
	}
	r.certs[prefix] = ci
	r.bySerial[ci.serial] = prefix
	if ci.subject >= 0 {
		r.subjects[ci.subject]++
	}
}

func (r *Registry) dropCert(prefix string, ci *certInfo) {
	delete(r.certs, prefix)
	if r.bySerial[ci.serial] == prefix {
		delete(r.bySerial, ci.serial)
	}
	r.releaseSubject(ci.subject)
}

func (r *Registry) releaseSubject(s int) {
	if s < 0 {
		return
	}
	if r.subjects[s]--; r.subjects[s] <= 0 {
		delete(r.subjects, s)
		if s < r.lowFree {
			r.lowFree = s
		}
	}
}

// takeSubject reserves the smallest subject serial not in use.
func (r *Registry) takeSubject() int {
	for r.subjects[r.lowFree] > 0 {
		r.lowFree++
	}
	s := r.lowFree
	r.subjects[s]++
	return s
}

func (r *Registry) crlList() []int64 {
	l := make([]int64, 0, len(r.crl))
	for s := range r.crl {
		l = append(l, s)
	}
	sort.Slice(l, func(a, b int) bool { return l[a] < l[b] })
	return l
}

// tx runs fn in a database transaction; on failure the in-memory mirror
// is rebuilt from the database so both stay consistent.
func (r *Registry) tx(fn func(tx *sql.Tx) error) error {
	tx, err := r.db.Begin()
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		if lerr := r.loadState(); lerr != nil {
			r.log.Error("reload after failed transaction", "err", lerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		if lerr := r.loadState(); lerr != nil {
			r.log.Error("reload after failed commit", "err", lerr)
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func run(q execer, ops []stmt) error {
	for _, o := range ops {
		if _, err := q.Exec(o.q, o.args...); err != nil {
			return fmt.Errorf("update cert table: %w", err)
		}
	}
	return nil
}
