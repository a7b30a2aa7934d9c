package node

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"re6st-tui/node/cache"
	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/packint"
)

var testCA = idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false)

func testIdentity(t *testing.T, prefix string) *identity.Identity {
	t.Helper()
	key := idtest.Key(1024, 1)
	cert := testCA.IssueFor(key, prefix, 1, time.Now().Add(-time.Hour))
	id, err := identity.New(testCA.CA, cert, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// fakeRegistry serves a network config like a registry, or fails.
type fakeRegistry struct {
	version uint64
	prefix  string
	fail    bool
	calls   int
}

func (f *fakeRegistry) GetNetworkConfigRaw(context.Context) ([]byte, error) {
	f.calls++
	if f.fail {
		return nil, errors.New("connection refused")
	}
	v, _ := packint.Encode(f.version)
	sig, _ := identity.Sign(testCA.Priv, v)
	doc := fmt.Sprintf(`{"babel_default": "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125", "crl": [], "protocol": 10, "registry_prefix": %q, "client_count": 10, "encrypt": false, "hello": 15, "max_clients": 20, "min_protocol": 1, "tunnel_refresh": 300, "": ["version"], "version": %q}`,
		f.prefix, base64.StdEncoding.EncodeToString(append(v, sig...)))
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(doc))
	w.Close()
	return b.Bytes(), nil
}

func TestNetworkConfigCachedForStartsWithoutRegistry(t *testing.T) {
	ctx := context.Background()
	id := testIdentity(t, "0000000000000001")
	c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), id.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := &fakeRegistry{version: 3, prefix: "0000000000000000"}
	log := slog.New(slog.DiscardHandler)
	cfg, cached, err := loadNetworkConfig(ctx, reg, c, id, log)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hello != 15 || reg.calls != 1 || cached {
		t.Fatalf("hello %d after %d calls", cfg.Hello, reg.calls)
	}
	// The registry goes down: the next start uses the cache, without
	// asking.
	reg.fail = true
	cfg, cached, err = loadNetworkConfig(ctx, reg, c, id, log)
	if err != nil || cfg.ClientCount != 10 || !cached {
		t.Fatalf("start from cache: %v, cached %v, %+v", err, cached, cfg)
	}
	if reg.calls != 1 {
		t.Errorf("registry asked %d times; the cached config was valid", reg.calls)
	}
}

func TestNetworkConfigWaitsForRegistry(t *testing.T) {
	id := testIdentity(t, "0000000000000001")
	c, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"), id.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := &fakeRegistry{fail: true}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, _, err = loadNetworkConfig(ctx, reg, c, id, slog.New(slog.DiscardHandler))
	if err == nil || reg.calls < 2 {
		t.Errorf("err %v after %d calls: want retries, then the context's end", err, reg.calls)
	}
}

func TestRegistryNodeAlwaysRefreshes(t *testing.T) {
	ctx := context.Background()
	id := testIdentity(t, "0000000000000000")
	c, _ := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), id.Prefix)
	defer c.Close()
	reg := &fakeRegistry{version: 1, prefix: id.Prefix}
	log := slog.New(slog.DiscardHandler)
	loadNetworkConfig(ctx, reg, c, id, log)
	reg.version = 2
	cfg, _, err := loadNetworkConfig(ctx, reg, c, id, log)
	if err != nil || cfg.Version[0] != 2 {
		t.Errorf("registry node started with version %x (%v), want the fresh one", cfg.Version, err)
	}
}

func TestUnsignedVersionRejected(t *testing.T) {
	if err := verifyVersion(testCA.CA, []byte{0x01, 0xde, 0xad}); err == nil {
		t.Error("a forged version passed")
	}
}
