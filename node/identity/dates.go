package identity

import (
	"crypto/x509"
	"time"
)

// Lifetimes re6st uses for certificates.
const (
	CertLifetime = 365 * 24 * time.Hour // validity of an issued certificate
	RenewPeriod  = 30 * 24 * time.Hour  // renew this long before notAfter
)

// RenewAt is when a certificate becomes due for renewal.
func RenewAt(c *x509.Certificate) time.Time { return c.NotAfter.Add(-RenewPeriod) }
