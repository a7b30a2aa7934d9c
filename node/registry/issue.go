package registry

import (
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"

	"re6st-tui/node/identity"
)

// CertRequest is a requestCertificate call.
type CertRequest struct {
	Token    string // "" for anonymous
	CSR      []byte // PEM
	Location string // "CC,CONT" or ""
	IP       string // client address for GeoIP
}

// RequestCertificate allocates a prefix and issues a certificate for the
// CSR's key. An unknown token returns (nil, nil): re6st answers 204.
func (r *Registry) RequestCertificate(req CertRequest) ([]byte, error) {
	csr, pub, err := identity.ParseCSRPEM(req.CSR)
	if err != nil {
		return nil, status(http.StatusBadRequest, "%v", err)
	}
	if pub.N.BitLen() != r.cfg.CA.Bits() {
		return nil, status(http.StatusBadRequest, "key has %d bits, the CA %d: generate a %d-bit key", pub.N.BitLen(), r.cfg.CA.Bits(), r.cfg.CA.Bits())
	}
	country, continent := "*", "*"
	if r.cfg.Country != nil {
		if req.Location != "" {
			var ok bool
			country, continent, ok = strings.Cut(req.Location, ",")
			if !ok || strings.Contains(continent, ",") {
				return nil, status(http.StatusBadRequest, "location must be COUNTRY,CONTINENT, e.g. FR,EU")
			}
		} else if c, k, ok := r.cfg.Country(req.IP); ok {
			country, continent = c, k
		}
		if continent != "*" {
			continent = "@" + continent
		}
	}
	comm := community(r.cfg.Communities, country, continent)

	// Phase 1, locked: consume the token and allocate (one transaction).
	r.mu.Lock()
	prefix, email, subj, serial, ok, err := r.allocate(req.Token, comm)
	r.mu.Unlock()
	if err != nil || !ok {
		return nil, err
	}
	// Phase 2, unlocked: the RSA signature is the expensive part.
	rawSubj, err := identity.SubjectForPrefix(csr.RawSubject, prefix, subj)
	var cert *x509.Certificate
	if err == nil {
		now := r.now()
		cert, err = identity.Issue(r.cfg.CA.Cert, r.cfg.CAKey, identity.Template{
			Serial: big.NewInt(serial), RawSubject: rawSubj, RawSPKI: csr.RawSubjectPublicKeyInfo,
			NotBefore: now, NotAfter: now.Add(identity.CertLifetime),
		})
	}
	// Phase 3, locked: store it.
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.abandon(prefix, subj)
		return nil, err
	}
	if r.tree.rows[prefix] != rowAllocated || r.certs[prefix] != nil {
		r.releaseSubject(subj)
		return nil, fmt.Errorf("allocation of %s was lost while signing", prefix)
	}
	return r.store(prefix, cert, pub, email, subj)
}

// allocate runs the locked first phase of RequestCertificate.
func (r *Registry) allocate(token, comm string) (prefix string, email sql.NullString, subj int, serial int64, ok bool, err error) {
	err = r.tx(func(tx *sql.Tx) error {
		var plen int
		if token != "" {
			if r.cfg.PrefixLength == 0 {
				return status(http.StatusForbidden, "token registration is disabled")
			}
			err := tx.QueryRow("SELECT email, prefix_len FROM token WHERE token = ?", token).Scan(&email, &plen)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := tx.Exec("DELETE FROM token WHERE token = ?", token); err != nil {
				return err
			}
		} else {
			plen = r.cfg.AnonymousPrefixLength
			if plen == 0 {
				return status(http.StatusForbidden, "anonymous registration is disabled")
			}
		}
		p, ops, err := r.tree.alloc(plen, comm)
		if err != nil {
			return err
		}
		if err := run(tx, ops); err != nil {
			return err
		}
		if _, err := tx.Exec("UPDATE cert SET email = ? WHERE prefix = ?", email, p); err != nil {
			return err
		}
		if serial, err = r.nextSerial(tx); err != nil {
			return err
		}
		if r.prefix == "" {
			r.prefix = p
			if err := setConfig(tx, "prefix", p); err != nil {
				return err
			}
			if err := r.updateNetworkConfig(tx); err != nil {
				return err
			}
		}
		prefix, ok = p, true
		return nil
	})
	if err != nil || !ok {
		return "", email, 0, 0, false, err
	}
	return prefix, email, r.takeSubject(), serial, true, nil
}

// nextSerial takes the next X.509 serial (config "serial" + 1). The
// counter is mirrored in memory; a failed transaction reloads it.
func (r *Registry) nextSerial(q execer) (int64, error) {
	r.serial++
	return r.serial, setConfig(q, "serial", r.serial)
}

// abandon frees an allocation whose certificate could not be made.
func (r *Registry) abandon(prefix string, subj int) {
	r.releaseSubject(subj)
	if r.tree.rows[prefix] == rowAllocated && r.certs[prefix] == nil {
		r.tree.release(prefix)
	}
}

// store writes an issued certificate (phase 3) and indexes it; reserved
// is the subject serial taken in phase 1 (-1 for none). Caller holds mu.
func (r *Registry) store(prefix string, cert *x509.Certificate, pub *rsa.PublicKey, email sql.NullString, reserved int) ([]byte, error) {
	pem := identity.EncodeCertPEM(cert)
	if _, err := r.db.Exec("UPDATE cert SET cert = ? WHERE prefix = ?", string(pem), prefix); err != nil {
		r.abandon(prefix, reserved)
		return nil, fmt.Errorf("store certificate: %w", err)
	}
	ci := &certInfo{pem: string(pem), serial: cert.SerialNumber.Int64(), notAfter: cert.NotAfter,
		subject: -1, email: email, pub: pub, cert: cert}
	if s, ok := identity.SubjectSerial(cert); ok {
		ci.subject = s
	}
	r.addCert(prefix, ci)
	r.releaseSubject(reserved)
	r.scheduleLocked(cert.NotAfter)
	return pem, nil
}

// RenewCertificate answers renewCertificate for prefix: a new certificate
// when the current one expires within RenewPeriod (365 days from now) or is
// revoked (same notAfter), else the stored PEM.
func (r *Registry) RenewCertificate(prefix string) ([]byte, error) {
	r.mu.Lock()
	ci := r.certs[prefix]
	if ci == nil {
		r.mu.Unlock()
		return nil, status(http.StatusNotFound, "no certificate for prefix %s", prefix)
	}
	now := r.now()
	notAfter := now.Add(identity.CertLifetime)
	if !ci.notAfter.Add(-identity.RenewPeriod).Before(now) {
		if _, revoked := r.crl[ci.serial]; !revoked {
			r.mu.Unlock()
			return []byte(ci.pem), nil
		}
		notAfter = ci.notAfter
	}
	var serial int64
	err := r.tx(func(tx *sql.Tx) error {
		var err error
		serial, err = r.nextSerial(tx)
		return err
	})
	old := ci.cert
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cert, err := identity.Issue(r.cfg.CA.Cert, r.cfg.CAKey, identity.Template{
		Serial: big.NewInt(serial), RawSubject: old.RawSubject, RawSPKI: old.RawSubjectPublicKeyInfo,
		NotBefore: now, NotAfter: notAfter,
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.certs[prefix]; cur != ci {
		// Renewed (or revoked) concurrently: answer what is stored now.
		if cur == nil {
			return nil, status(http.StatusNotFound, "no certificate for prefix %s", prefix)
		}
		return []byte(cur.pem), nil
	}
	return r.store(prefix, cert, ci.pub, ci.email, -1)
}

// Revoke revokes a certificate by X.509 serial (the row is kept, so its
// owner can get a reissued certificate) or by CN (the prefix is freed and
// its session dropped). The network version is bumped.
func (r *Registry) Revoke(cnOrSerial string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var prefix string
	var ci *certInfo
	byCN := false
	if serial, err := strconv.ParseInt(strings.TrimSpace(cnOrSerial), 10, 64); err == nil {
		p, ok := r.bySerial[serial]
		if !ok {
			return status(http.StatusInternalServerError, "no stored certificate has serial %d", serial)
		}
		prefix, ci = p, r.certs[p]
	} else {
		p, err := identity.PrefixFromCN(cnOrSerial)
		if err != nil {
			return status(http.StatusBadRequest, "%v", err)
		}
		if ci = r.certs[p]; ci == nil {
			return status(http.StatusNotFound, "no certificate for %s", cnOrSerial)
		}
		prefix, byCN = p, true
	}
	err := r.tx(func(tx *sql.Tx) error {
		if byCN {
			if _, err := tx.Exec("UPDATE cert SET email=null, cert=null WHERE prefix=?", prefix); err != nil {
				return err
			}
		}
		if r.now().Before(ci.notAfter) {
			if _, err := tx.Exec("INSERT OR IGNORE INTO crl VALUES (?,?)", ci.serial, ci.notAfter.Unix()); err != nil {
				return err
			}
			r.crl[ci.serial] = ci.notAfter.Unix()
			return r.updateNetworkConfig(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if byCN {
		r.dropCert(prefix, ci)
		r.tree.release(prefix)
		r.sessions.drop(prefix)
	}
	return nil
}

// NodePrefix returns the CN of the certificate registered with email.
func (r *Registry) NodePrefix(email string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var pem sql.NullString
	err := r.db.QueryRow("SELECT cert FROM cert WHERE email = ? AND cert IS NOT NULL", email).Scan(&pem)
	if err != nil || !pem.Valid {
		return "", false
	}
	c, err := identity.ParseCertPEM([]byte(pem.String))
	if err != nil {
		return "", false
	}
	return c.Subject.CommonName, true
}

// Prefix returns the registry node's prefix ("" before the first issuance).
func (r *Registry) Prefix() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.prefix
}

// CRL returns the revoked serials, sorted.
func (r *Registry) CRL() []int64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.crlList()
}
