package registry

import (
	"crypto/rsa"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
)

var (
	caOnce sync.Once
	ca1024 *idtest.CA
)

// testCA is a 1024-bit CA for 2001:db8:42::/48: size does not matter in
// unit tests, and small keys keep them fast.
func testCA() *idtest.CA {
	caOnce.Do(func() { ca1024 = idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false) })
	return ca1024
}

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
