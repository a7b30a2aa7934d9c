package cache

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func openTemp(t *testing.T, self string) (*Cache, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := Open(context.Background(), path, self)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, path
}

func TestSchemaIsRe6sts(t *testing.T) {
	c, path := openTemp(t, "0001")
	c.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]string{
		"peer":   "CREATE TABLE peer (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  address TEXT NOT NULL)",
		"config": "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)",
	}
	for name, sqlText := range want {
		var got string
		if err := db.QueryRow("SELECT sql FROM sqlite_master WHERE name=?", name).Scan(&got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != sqlText {
			t.Errorf("%s schema = %q, want %q", name, got, sqlText)
		}
	}
}

func TestBadSchemaMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE peer (prefix TEXT, address TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c, err := Open(context.Background(), path, "0001")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := os.Stat(path + ".bak"); err != nil {
		t.Errorf("bad cache not kept as .bak: %v", err)
	}
}

func TestAddPeerMerges(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		old, add  string
		preferred bool
		want      string
	}{
		{"new-list-keeps-known-order", "a;b;c", "c;d;a", false, "a;c;d"},
		{"preferred-moves-to-front", "a;b;c", "c", true, "c;a;b"},
		{"unchanged", "a;b", "a;b", false, "a;b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := openTemp(t, "0000")
			if err := c.AddPeer(ctx, "0001", tc.old, false); err != nil {
				t.Fatal(err)
			}
			if err := c.AddPeer(ctx, "0001", tc.add, tc.preferred); err != nil {
				t.Fatal(err)
			}
			got, ok, err := c.Address(ctx, "0001")
			if err != nil || !ok {
				t.Fatalf("Address: %q %v %v", got, ok, err)
			}
			if got != tc.want {
				t.Errorf("address = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConnectingHidesPeer(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t, "0000")
	for _, p := range []string{"0000", "0001", "0010"} {
		if err := c.AddPeer(ctx, p, "198.18.0.1,1194,tcp", false); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Connecting(ctx, "0001", true); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Address(ctx, "0001"); ok {
		t.Error("address of a peer being tried is returned")
	}
	if got := prefixes(t, c, false); !slices.Equal(got, []string{"0010"}) {
		t.Errorf("usable peers = %v, want [0010] (self excluded, 0001 being tried)", got)
	}
	if got := prefixes(t, c, true); !slices.Equal(got, []string{"0001"}) {
		t.Errorf("failed peers = %v, want [0001]", got)
	}
	if err := c.AddPeer(ctx, "0001", "198.18.0.2,1194,tcp", false); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Address(ctx, "0001"); !ok {
		t.Error("adding a peer again does not clear its attempt mark")
	}
}

func TestMinimizeDropsFailedFirst(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t, "")
	c.size = 2
	for _, p := range []string{"01", "10", "11"} {
		c.AddPeer(ctx, p, "x,1,tcp", false)
	}
	c.Connecting(ctx, "01", true)
	// A new peer trims the cache to its size before going in: the failing
	// peer goes first.
	if err := c.AddPeer(ctx, "00", "x,1,tcp", false); err != nil {
		t.Fatal(err)
	}
	all := append(prefixes(t, c, false), prefixes(t, c, true)...)
	slices.Sort(all)
	if !slices.Equal(all, []string{"00", "10", "11"}) {
		t.Errorf("peers after trim = %v, want [00 10 11]", all)
	}
	if err := c.Minimize(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(prefixes(t, c, false)); n != 1 {
		t.Errorf("%d peers after Minimize(1)", n)
	}
}

func TestReopenKeepsPeersAndAddress(t *testing.T) {
	ctx := context.Background()
	c, path := openTemp(t, "0000")
	c.AddPeer(ctx, "0001", "198.18.0.1,1194,tcp", false)
	c.Connecting(ctx, "0001", true)
	c.SetMyAddress(ctx, "198.18.0.9,1194,tcp")
	c.Close()
	c, err := Open(ctx, path, "0000")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok, _ := c.Address(ctx, "0001"); !ok {
		t.Error("attempt marks survive a restart")
	}
	if a, _ := c.MyAddress(ctx); a != "198.18.0.9,1194,tcp" {
		t.Errorf("my address = %q", a)
	}
	if got := prefixes(t, c, false); !slices.Equal(got, []string{"0001"}) {
		t.Errorf("peers = %v: our own address row must not be a peer", got)
	}
}

func TestReplaceConfigReportsChanges(t *testing.T) {
	ctx := context.Background()
	c, _ := openTemp(t, "0000")
	first := map[string]any{
		"hello":    int64(15),
		"encrypt":  int64(0),
		"version":  []byte{0x01, 0xaa},
		"crl:json": "[]",
	}
	changed, err := c.ReplaceConfig(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(changed, []string{"crl", "encrypt", "hello", "version"}) {
		t.Errorf("first changes = %v", changed)
	}
	second := map[string]any{
		"hello":    int64(4),
		"encrypt":  int64(0),
		"version":  []byte{0x02, 0xbb},
		"crl:json": "[3]",
	}
	if changed, _ = c.ReplaceConfig(ctx, second); !slices.Equal(changed, []string{"crl", "hello", "version"}) {
		t.Errorf("second changes = %v", changed)
	}
	delete(second, "hello")
	if changed, _ = c.ReplaceConfig(ctx, second); !slices.Equal(changed, []string{"hello"}) {
		t.Errorf("removal = %v", changed)
	}
	got, err := c.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["crl:json"] != "[3]" {
		t.Errorf("stored config = %v", got)
	}
	if v, ok := got["version"].([]byte); !ok || v[0] != 0x02 {
		t.Errorf("version stored as %T %v, want a blob", got["version"], got["version"])
	}
}

func prefixes(t *testing.T, c *Cache, failed bool) []string {
	t.Helper()
	peers, err := c.Peers(context.Background(), failed)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range peers {
		out = append(out, p.Prefix)
	}
	slices.Sort(out)
	return out
}
