package registry

import (
	"crypto/rsa"
	"database/sql"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
)

func testCA() *idtest.CA { return idtest.Small() }

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testConfig(dir string, ca *idtest.CA) Config {
	cfg := DefaultConfig()
	cfg.DB = filepath.Join(dir, "registry.db")
	cfg.CA, cfg.CAKey = ca.CA, ca.Priv
	cfg.AnonymousPrefixLength = 16
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func openTest(t testing.TB, cfg Config) *Registry {
	t.Helper()
	r, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func csr(t testing.TB, key *rsa.PrivateKey, attrs ...identity.Attr) []byte {
	t.Helper()
	subj, err := identity.BuildSubject(attrs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.CreateCSR(key, subj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nodeKey(i int) *rsa.PrivateKey { return idtest.Key(1024, 1+i) }

func mustIssue(t testing.TB, r *Registry, token string, key *rsa.PrivateKey) (string, []byte) {
	t.Helper()
	pem, err := r.RequestCertificate(CertRequest{Token: token, CSR: csr(t, key)})
	if err != nil || pem == nil {
		t.Fatalf("request certificate: %v (nil=%v)", err, pem == nil)
	}
	c, err := identity.ParseCertPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	p, err := identity.PrefixFromCN(c.Subject.CommonName)
	if err != nil {
		t.Fatal(err)
	}
	return p, pem
}

func prefixOf(t testing.TB, pem []byte) string {
	t.Helper()
	c, err := identity.ParseCertPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	p, err := identity.PrefixFromCN(c.Subject.CommonName)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkMirror compares the in-memory tree with the cert table and checks
// that the rows cover the whole space exactly once.
func checkMirror(t testing.TB, r *Registry) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.db.Query("SELECT prefix, cert FROM cert")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	db := map[string]rowState{}
	for rows.Next() {
		var p string
		var c sql.NullString
		rows.Scan(&p, &c)
		switch {
		case !c.Valid:
			db[p] = rowFree
		case c.String == "reserved":
			db[p] = rowReserved
		default:
			db[p] = rowAllocated
		}
	}
	if len(db) != len(r.tree.rows) {
		t.Fatalf("database has %d rows, memory %d", len(db), len(r.tree.rows))
	}
	for p, s := range r.tree.rows {
		if db[p] != s {
			t.Errorf("row %q: database %v, memory %v", p, db[p], s)
		}
	}
	// Leaves of a full binary trie: Σ 2^-len = 1 (checked in units of 2^-maxLen).
	var sum big.Int
	for p := range db {
		sum.Add(&sum, new(big.Int).Lsh(big.NewInt(1), uint(r.tree.maxLen-len(p))))
	}
	if want := new(big.Int).Lsh(big.NewInt(1), uint(r.tree.maxLen)); sum.Cmp(want) != 0 {
		t.Errorf("rows do not cover the space exactly once")
	}
}
