package regclient_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/regclient"
	"re6st-tui/node/registry"
)

func testCA() *idtest.CA { return idtest.Small() }

type env struct {
	cfg  registry.Config
	reg  *registry.Registry
	srv  *httptest.Server
	swap atomic.Pointer[http.Handler]
}

// newEnv runs a registry behind an httptest server whose handler can be
// swapped (registry restart, tampering proxy).
func newEnv(t *testing.T) *env {
	cfg := registry.DefaultConfig()
	cfg.DB = filepath.Join(t.TempDir(), "registry.db")
	cfg.CA, cfg.CAKey = testCA().CA, testCA().Priv
	cfg.AnonymousPrefixLength = 16
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{cfg: cfg}
	e.restart(t)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*e.swap.Load()).ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) restart(t *testing.T) {
	if e.reg != nil {
		e.reg.Close()
	}
	r, err := registry.Open(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	e.reg = r
	var h http.Handler = r
	e.swap.Store(&h)
}

// enroll gets an anonymous certificate and returns a client using it.
func (e *env) enroll(t *testing.T, key *rsa.PrivateKey) (*regclient.Client, string) {
	t.Helper()
	c, err := regclient.New(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	caPEM, err := c.GetCa(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := identity.ParseCA(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := identity.BuildSubject(nil)
	csr, _ := identity.CreateCSR(key, subj)
	pem, err := c.RequestCertificate(ctx, "", csr, "")
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := identity.ParseCertPEM(pem)
	prefix, _ := identity.PrefixFromCN(cert.Subject.CommonName)
	c.SetIdentity(ca, key, prefix)
	return c, prefix
}

func TestSessionAndNetworkConfig(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, prefix := e.enroll(t, idtest.Key(1024, 1))
	for i := 0; i < 3; i++ { // the key rolls at each call
		nc, err := c.GetNetworkConfig(ctx)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if nc.RegistryPrefix != prefix || nc.MaxClients != 20 || nc.VersionNumber != 1 || len(nc.BabelHMACSign) != 16 {
			t.Fatalf("netconf %+v", nc)
		}
	}
	// A rotation changes the served config at once (no stale cache).
	if err := c.UpdateHMAC(ctx); err != nil {
		t.Fatal(err)
	}
	if nc, err := c.GetNetworkConfig(ctx); err != nil || nc.VersionNumber != 2 || nc.ValidUntil == 0 || len(nc.BabelHMACAccept) != 16 {
		t.Fatalf("after updateHMAC: %+v %v", nc, err)
	}
	// Registry restart: sessions are lost; the client re-hellos once.
	e.restart(t)
	if _, err := c.GetNetworkConfig(ctx); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	// Someone else's hello for our prefix does not break our session.
	other, _ := regclient.New(e.srv.URL)
	other.SetIdentity(nil, nil, prefix)
	resp, err := http.Get(e.srv.URL + "/hello?client_prefix=" + prefix + "&protocol=10")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("foreign hello: %v", err)
	}
	resp.Body.Close()
	if _, err := c.RenewCertificate(ctx); err != nil {
		t.Fatalf("after foreign hello: %v", err)
	}
	// getCountry without GeoIP: unknown.
	if cc, err := c.GetCountry(ctx, "198.51.100.1"); cc != "" || err != nil {
		t.Fatalf("getCountry without GeoIP: %q %v", cc, err)
	}
	// A call that fails after the MAC matched (getDh without --dh: 500)
	// still rolls the session; the client heals with a fresh hello.
	if _, err := c.GetDh(ctx); err == nil {
		t.Fatal("getDh without a DH file succeeded")
	}
	if _, err := c.GetNetworkConfig(ctx); err != nil {
		t.Fatalf("after failed call: %v", err)
	}
	if _, _, ok, err := c.GetBootstrapPeer(ctx); ok || err != nil {
		t.Fatalf("bootstrap without node: %v %v", ok, err)
	}
}

func TestTamperedAnswer(t *testing.T) {
	e := newEnv(t)
	c, _ := e.enroll(t, idtest.Key(1024, 1))
	reg := *e.swap.Load()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		b := rec.Body.Bytes()
		if len(b) > 0 && r.URL.Path != "/hello" {
			b[len(b)-1] ^= 1
		}
		w.Write(b)
	})
	e.swap.Store(&h)
	if _, err := c.GetNetworkConfig(context.Background()); !errors.Is(err, regclient.ErrBadMAC) {
		t.Fatalf("tampered answer: %v", err)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := regclient.New(e.srv.URL)
	csr, _ := identity.CreateCSR(idtest.Key(1024, 1), nil)
	if _, err := c.RequestCertificate(ctx, "nosuchtk", csr, ""); !errors.Is(err, regclient.ErrInvalidToken) {
		t.Errorf("unknown token: %v", err)
	}
	if err := c.RequestToken(ctx, "a@example.com"); !errors.Is(err, regclient.ErrForbidden) {
		t.Errorf("requestToken without mailhost: %v", err)
	}
	dead, _ := regclient.New("http://127.0.0.1:1/")
	var ue *regclient.UnreachableError
	if _, err := dead.GetCa(ctx); !errors.As(err, &ue) {
		t.Errorf("unreachable: %v", err)
	}
	if _, err := regclient.New("ftp://x"); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := c.GetNetworkConfig(ctx); err == nil {
		t.Error("authenticated call without identity succeeded")
	}
	// Private methods from loopback are allowed.
	if err := c.AddToken(ctx, "a@example.com", "abcdefgh"); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.IsToken(ctx, "abcdefgh"); !ok || err != nil {
		t.Fatalf("isToken: %v %v", ok, err)
	}
	var se *regclient.StatusError
	if err := c.AddToken(ctx, "a@example.com", "abcdefgh"); !errors.As(err, &se) || se.Code != 409 {
		t.Errorf("duplicate token: %v", err)
	}
}

func TestServerStatuses(t *testing.T) {
	e := newEnv(t)
	c, prefix := e.enroll(t, idtest.Key(1024, 1))
	if _, err := c.GetDh(context.Background()); err == nil {
		t.Error("getDh without --dh succeeded") // but it opened a session
	}
	get := func(path string, hdr map[string]string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		path string
		hdr  map[string]string
		want int
	}{
		{"/nosuch", nil, 400},
		{"/getCa?x=1", nil, 400},
		{"/hello", nil, 400},
		{"/hello?client_prefix=0101&&protocol=1", nil, 400},
		{"/hello?client_prefix=1111", nil, 404},
		{"/a/getCa", nil, 400},
		{"/getNetworkConfig?cn=" + prefix, nil, 400},
		{"/getNetworkConfig?cn=" + prefix, map[string]string{"Re6stHMAC": "AAAA"}, 400},
		{"/getNetworkConfig?cn=1111", map[string]string{"Re6stHMAC": "AAAA"}, 401},
		{"/isToken?token=x", map[string]string{"X-Forwarded-For": "198.51.100.1"}, 403},
		{"/isToken?token=x", nil, 204},
		{"/getCa", nil, 200},
	}
	for _, tc := range cases {
		if got := get(tc.path, tc.hdr); got != tc.want {
			t.Errorf("GET %s: %d, want %d", tc.path, got, tc.want)
		}
	}
}

func TestRollForwardAfterLostRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, _ := e.enroll(t, idtest.Key(1024, 1))
	if _, err := c.GetNetworkConfig(ctx); err != nil {
		t.Fatal(err)
	}
	reg := *e.swap.Load()
	var drop http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close() // the request never reaches the registry
		}
	})
	e.swap.Store(&drop)
	var ue *regclient.UnreachableError
	if _, err := c.GetNetworkConfig(ctx); !errors.As(err, &ue) {
		t.Fatalf("dropped request: %v", err)
	}
	e.swap.Store(&reg)
	// The client is one key ahead: 400, then one fresh hello and retry.
	if _, err := c.GetNetworkConfig(ctx); err != nil {
		t.Fatalf("after lost request: %v", err)
	}
}

func FuzzParseNetworkConfig(f *testing.F) {
	key := idtest.Key(1024, 1)
	f.Add([]byte{0x78, 0x9c, 3, 0, 0, 0, 0, 1})
	f.Add([]byte("not zlib"))
	f.Fuzz(func(t *testing.T, b []byte) {
		nc, err := regclient.ParseNetworkConfig(b, testCA().CA, key)
		if err == nil && nc.Version == nil {
			t.Fatal("accepted a config without version")
		}
	})
}

func FuzzOpenHello(f *testing.F) {
	key := idtest.Key(1024, 1)
	f.Add(make([]byte, 256))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := regclient.OpenHello(testCA().CA, key, b); err == nil {
			t.Fatalf("forged hello accepted: key %x", k)
		}
	})
}

// A prefix the registry does not know gets 404 on hello; the error names
// the call once and says what failed.
func TestUnknownPrefixError(t *testing.T) {
	e := newEnv(t)
	c, _ := e.enroll(t, idtest.Key(1024, 2))
	c.SetIdentity(testCA().CA, idtest.Key(1024, 2), "1111")
	_, err := c.GetNetworkConfig(context.Background())
	var status *regclient.StatusError
	if !errors.As(err, &status) || status.Code != 404 {
		t.Fatalf("error %v, want a 404 status", err)
	}
	if n := strings.Count(err.Error(), "registry hello"); n != 1 {
		t.Errorf("%q names the hello %d times", err, n)
	}
}
