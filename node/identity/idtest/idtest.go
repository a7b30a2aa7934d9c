// Package idtest makes throw-away CAs and node keys for tests: RSA keys are
// generated once per size and per test binary, because 2048-bit generation
// is slow.
package idtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"re6st-tui/node/identity"
)

var (
	mu   sync.Mutex
	keys = map[int][]*rsa.PrivateKey{}
)

// Key returns the i-th cached RSA key of the given size (generated on first use).
func Key(bits, i int) *rsa.PrivateKey {
	mu.Lock()
	defer mu.Unlock()
	for len(keys[bits]) <= i {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(fmt.Sprintf("idtest: generate key: %v", err))
		}
		keys[bits] = append(keys[bits], k)
	}
	return keys[bits][i]
}

// CA is a test CA with its private key and PEM text.
type CA struct {
	*identity.CA
	Priv *rsa.PrivateKey
	PEM  []byte
}

// NewCA makes a CA for network with a key of the given size. With v1 set it
// is an X.509 v1 certificate without extensions, as old OpenSSL versions
// made; otherwise a v3 CA like `openssl req -x509` makes today.
func NewCA(network netip.Prefix, bits int, v1 bool) *CA {
	key := Key(bits, 0)
	name := pkix.Name{CommonName: "re6st test CA", ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: []int{1, 2, 840, 113549, 1, 9, 1}, Value: "ca@example.com"},
	}}
	now := time.Now().Add(-time.Hour)
	var cert *x509.Certificate
	if v1 {
		subj, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		must(err)
		rawName := mustName(name)
		cert, err = identity.Issue(&x509.Certificate{RawSubject: rawName}, key, identity.Template{
			Serial: identity.SerialForNetwork(network), RawSubject: rawName, RawSPKI: subj,
			NotBefore: now, NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		})
		must(err)
	} else {
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: identity.SerialForNetwork(network), Subject: name,
			NotBefore: now, NotAfter: now.Add(10 * 365 * 24 * time.Hour),
			SignatureAlgorithm:    x509.SHA512WithRSA,
			BasicConstraintsValid: true, IsCA: true,
		}, &x509.Certificate{Subject: name}, &key.PublicKey, key)
		must(err)
		cert, err = x509.ParseCertificate(der)
		must(err)
	}
	ca, err := identity.NewCA(cert)
	must(err)
	return &CA{CA: ca, Priv: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}
}

var (
	onceCA  sync.Once
	sharedC *CA
)

// Shared returns a 2048-bit v3 CA for 2001:db8:42::/48, made once per test binary.
func Shared() *CA {
	onceCA.Do(func() { sharedC = NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 2048, false) })
	return sharedC
}

// IssueFor issues a certificate for prefix with the node key, valid from
// notBefore for the usual lifetime.
func (ca *CA) IssueFor(key *rsa.PrivateKey, prefix string, serial int64, notBefore time.Time) *x509.Certificate {
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	must(err)
	subj, err := identity.SubjectForPrefix(nil, prefix, 0)
	must(err)
	c, err := identity.Issue(ca.Cert, ca.Priv, identity.Template{
		Serial: bigInt(serial), RawSubject: subj, RawSPKI: spki,
		NotBefore: notBefore, NotAfter: notBefore.Add(identity.CertLifetime),
	})
	must(err)
	return c
}

func mustName(n pkix.Name) []byte {
	rdn := n.ToRDNSequence()
	b, err := asn1Marshal(rdn)
	must(err)
	return b
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("idtest: %v", err))
	}
}

var small struct {
	once sync.Once
	ca   *CA
}

// Small is a 1024-bit v3 CA for 2001:db8:42::/48, made once per test
// binary: most tests do not care about the key size, and node keys are
// generated at the CA's size, so a small one keeps them fast.
func Small() *CA {
	small.once.Do(func() { small.ca = NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false) })
	return small.ca
}
