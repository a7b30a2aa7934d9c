package demo

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net/netip"
	"time"

	"re6st-tui/node/identity"
)

// newCA makes a CA for network: its serial carries the network's prefix,
// as re6st's CAs do.
func newCA(network netip.Prefix) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("CA key: %w", err)
	}
	name := pkix.Name{CommonName: "re6st demo CA"}
	now := time.Now().Add(-time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: identity.SerialForNetwork(network), Subject: name,
		NotBefore: now, NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		SignatureAlgorithm:    x509.SHA512WithRSA,
		BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, &x509.Certificate{Subject: name}, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate: %w", err)
	}
	keyPEM, err = identity.EncodeKeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}
