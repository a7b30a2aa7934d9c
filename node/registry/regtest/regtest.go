// Package regtest runs our registry for tests: over loopback HTTP, with the
// small test CA, anonymous enrollment on, and tokens mailed into an mbox
// file.
package regtest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/registry"
)

// Server is a registry serving a test.
type Server struct {
	Registry *registry.Registry
	Config   registry.Config
	URL      string // with its trailing slash, as re6st writes it
	MBox     string // where the tokens are mailed
}

// Start opens a registry in a temporary directory and serves it until the
// test ends; mod, when not nil, changes its configuration first.
func Start(t testing.TB, mod func(*registry.Config)) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := registry.DefaultConfig()
	cfg.DB = filepath.Join(dir, "registry.db")
	cfg.CA, cfg.CAKey = idtest.Small().CA, idtest.Small().Priv
	cfg.AnonymousPrefixLength = 20
	cfg.MailHost = filepath.Join(dir, "mbox")
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if mod != nil {
		mod(&cfg)
	}
	r, err := registry.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &Server{Registry: r, Config: cfg, URL: srv.URL + "/", MBox: cfg.MailHost}
}
