package registry

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/packint"
	"re6st-tui/node/regclient"
)

// writeFixtureDB builds, with plain SQL and no registry code, a
// registry.db as the Python registry leaves it after issuing two
// certificates: the registry node's (0/16) and a node's (1/16), serial 2.
func writeFixtureDB(t *testing.T, path string) (nodePrefix string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ca := testCA()
	now := time.Now().Add(-24 * time.Hour)
	regPEM := identity.EncodeCertPEM(ca.IssueFor(nodeKey(0), "0000000000000000", 1, now))
	nodePEM := identity.EncodeCertPEM(ca.IssueFor(nodeKey(1), "0000000000000001", 2, now))
	one, _ := packint.Encode(1)
	version, err := identity.SignedBlob(ca.Priv, one)
	if err != nil {
		t.Fatal(err)
	}
	canon := `{"babel_default": "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125", "client_count": 10, "crl": [], "encrypt": false, "hello": 15, "max_clients": 20, "min_protocol": 1, "protocol": 10, "registry_prefix": "0000000000000000", "tunnel_refresh": 300}`
	stmts := []struct {
		q    string
		args []any
	}{
		{"CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)", nil},
		{"CREATE TABLE token (\n  token TEXT PRIMARY KEY NOT NULL,\n  email TEXT NOT NULL,\n  prefix_len INTEGER NOT NULL,\n  date INTEGER NOT NULL)", nil},
		{"CREATE TABLE cert (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  email TEXT,\n  cert TEXT)", nil},
		{"CREATE TABLE crl (\n  serial INTEGER PRIMARY KEY NOT NULL,\n  date INTEGER NOT NULL)", nil},
		{"INSERT INTO config VALUES ('babel_hmac0', ?)", []any{[]byte("0123456789abcdef")}},
		{"INSERT INTO config VALUES ('prefix', '0000000000000000')", nil},
		{"INSERT INTO config VALUES ('version', ?)", []any{version}},
		{"INSERT INTO config VALUES ('last_config', ?)", []any{canon}},
		{"INSERT INTO config VALUES ('serial', 2)", nil},
		{"INSERT INTO token VALUES ('abcdefgh', 'x@example.com', 16, ?)", []any{now.Unix()}},
		// The tree after two /16 allocations in a /48 (leaves cover the space).
		{"INSERT INTO cert VALUES ('1', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('01', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('0001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('00001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('0000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('00000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('0000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('00000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('000000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('0000000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('00000000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('000000000000001', NULL, NULL)", nil},
		{"INSERT INTO cert VALUES ('0000000000000000', NULL, ?)", []any{string(regPEM)}},
		{"INSERT INTO cert VALUES ('0000000000000001', 'node@example.com', ?)", []any{string(nodePEM)}},
	}
	for _, s := range stmts {
		if _, err := db.Exec(s.q, s.args...); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
	}
	return "0000000000000001"
}

func TestFixtureDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, testCA())
	cfg.DB = filepath.Join(dir, "registry.db")
	prefix := writeFixtureDB(t, cfg.DB)
	r := openTest(t, cfg)
	if v, _ := r.Version(); v != 1 {
		t.Fatalf("opening an existing database bumped the version to %d", v)
	}
	if r.Prefix() != "0000000000000000" {
		t.Fatalf("registry prefix %q", r.Prefix())
	}
	if ok, _ := r.IsToken("abcdefgh"); !ok {
		t.Error("existing token lost")
	}
	// The existing node opens a session and gets the config.
	srv := httptest.NewServer(r)
	defer srv.Close()
	c, err := regclient.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.SetIdentity(testCA().CA, nodeKey(1), prefix)
	nc, err := c.GetNetworkConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if nc.VersionNumber != 1 || string(nc.BabelHMACSign) != "0123456789abcdef" || nc.RegistryPrefix != "0000000000000000" {
		t.Errorf("netconf %+v", nc)
	}
	if cn, ok := r.NodePrefix("node@example.com"); !ok || cn != "1/16" {
		t.Errorf("getNodePrefix %s %v", cn, ok)
	}
	// The next allocation continues the tree: 2/16.
	p, _ := mustIssue(t, r, "abcdefgh", nodeKey(2))
	if p != "0000000000000010" {
		t.Errorf("next token prefix %s, want 2/16", identity.CN(p))
	}
	var serial int64
	r.db.QueryRow("SELECT value FROM config WHERE name='serial'").Scan(&serial)
	if serial != 3 {
		t.Errorf("serial counter %d", serial)
	}
	resp, err := http.Get(srv.URL + "/getIPv6Address?email=node%40example.com")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if got := strings.TrimSpace(string(b[:n])); got != "2001:db8:42:1::" {
		t.Errorf("getIPv6Address %q", got)
	}
}
