package enroll

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"re6st-tui/node/identity"
)

// RetryDelay is how long a node waits after a failed renewal.
const RetryDelay = 24 * time.Hour

// Renewal is the outcome of one renewal check of a certificate.
type Renewal struct {
	Cert    *x509.Certificate // current (possibly new) certificate
	Renewed bool              // a new certificate was written
	Next    time.Time         // when to check again
	Err     error             // why renewal failed (then Next = now + RetryDelay)
}

// Renew applies re6st's renewal rule to the certificate stored at path:
// when now ≥ notAfter − RenewPeriod, or when force is set (own serial
// revoked), it asks fetch for a new PEM; an empty, unchanged or invalid
// answer is a failure retried after RetryDelay. A new certificate is
// checked with check, written atomically, and the rule is evaluated again
// with it.
func Renew(ctx context.Context, now time.Time, path string, cur *x509.Certificate, force bool,
	fetch func(context.Context) ([]byte, error), check func(*x509.Certificate) error) Renewal {
	res := Renewal{Cert: cur}
	// A sane registry answers a certificate that is not due: bound the loop
	// in case it keeps answering due ones.
	for range 4 {
		if !force && now.Before(identity.RenewAt(res.Cert)) {
			res.Next = identity.RenewAt(res.Cert)
			return res
		}
		force = false
		pemText, err := fetch(ctx)
		if err == nil && len(pemText) == 0 {
			err = errors.New("registry answered nothing")
		}
		if err == nil && bytes.Equal(pemText, identity.EncodeCertPEM(res.Cert)) {
			err = errors.New("registry answered the same certificate")
		}
		var c *x509.Certificate
		if err == nil {
			c, err = identity.ParseCertPEM(pemText)
		}
		if err == nil && check != nil {
			err = check(c)
		}
		if err == nil {
			err = writeAtomic(path, pemText, 0o644)
		}
		if err != nil {
			res.Err = fmt.Errorf("renew %s: %w; will retry in 24 h", path, err)
			res.Next = now.Add(RetryDelay)
			return res
		}
		res.Cert, res.Renewed = c, true
	}
	res.Err = fmt.Errorf("renew %s: the registry keeps answering certificates that are already due; will retry in 24 h", path)
	res.Next = now.Add(RetryDelay)
	return res
}

// Registry is what RenewIdentity needs from a registry client.
type Registry interface {
	RenewCertificate(ctx context.Context) ([]byte, error)
	GetCa(ctx context.Context) ([]byte, error)
}

// RenewIdentity runs the node's timer rule: the certificate (forced when
// its serial is in crl), then the CA (never forced). It returns the new
// identity (the same when nothing changed), whether anything was renewed,
// and the next check time (the earlier of both).
func RenewIdentity(ctx context.Context, now time.Time, id *identity.Identity, caPath, certPath string,
	reg Registry, crl []int64) (*identity.Identity, bool, time.Time, error) {
	revoked := id.Cert.SerialNumber.IsInt64() && slices.Contains(crl, id.Cert.SerialNumber.Int64())
	cr := Renew(ctx, now, certPath, id.Cert, revoked, reg.RenewCertificate, func(c *x509.Certificate) error {
		_, err := identity.New(id.CA, c, id.Key, now)
		return err
	})
	var newCA *identity.CA
	car := Renew(ctx, now, caPath, id.CA.Cert, false, reg.GetCa, func(c *x509.Certificate) error {
		var err error
		newCA, err = identity.NewCA(c)
		return err
	})
	next := cr.Next
	if car.Next.Before(next) {
		next = car.Next
	}
	err := errors.Join(cr.Err, car.Err)
	if !cr.Renewed && !car.Renewed {
		return id, false, next, err
	}
	ca := id.CA
	if car.Renewed {
		ca = newCA
	}
	nid, nerr := identity.New(ca, cr.Cert, id.Key, now)
	if nerr != nil {
		return id, true, next, errors.Join(err, nerr)
	}
	return nid, true, next, err
}
