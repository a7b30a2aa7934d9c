package doctor

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"flag"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"re6st-tui/diag/pmtu"
	"re6st-tui/diag/system"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadCert(t *testing.T, name string) *x509.Certificate {
	c, err := parsePEMCert([]byte(readTestdata(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goldenDoctor is a host with a bit of everything: an RA default route
// fighting re6st's, a firewall dropping Babel, a tunnel looping over re6st.
func goldenDoctor(t *testing.T) *Doctor {
	ca, cert := loadCert(t, "ca.pem"), loadCert(t, "cert.pem")
	fp, _ := fingerprint("sha256", ca.Raw)
	remote := netip.MustParseAddr("2001:db8:ff00::12")
	target := netip.MustParseAddr("2001:db8:42:9::1")
	sys := uplinkSys(ra("eth0"), re6st("fe80::a"))
	sys.Get[remote] = system.Route{Dev: "re6stnet1"}
	sys.Get[target] = system.Route{Dev: "re6stnet1"}
	return &Doctor{
		Sys:  sys,
		Exec: fakeRunner{map[string]string{"nft -j list ruleset": readTestdata(t, "nft-drops.json")}},
		Now:  func() time.Time { return t0 },
		MTU: func(context.Context, pmtu.Config) (pmtu.Result, error) {
			return pmtu.Result{Expected: 1500, Largest: 1420, BlackHole: true}, nil
		},
		Node: Node{
			Network: network, Addr: netip.MustParseAddr("2001:db8:42:1::1"),
			Interfaces:  []string{"lo", "re6stnet1"},
			TunnelPorts: []Port{{"tcp", 1194}},
			Remotes:     []Remote{{Tunnel: "re6stnet1", Addr: remote}},
			MTUTarget:   target,
			Registry:    "http://registry.example/", HTTP: &http.Client{Transport: registryRT{ca: ca, date: t0}},
			CA: ca, Cert: cert, CAFingerprint: "sha256:" + fp,
			UPnP: &UPnP{Phase: "failed", Asked: true, Error: "no Internet gateway answered on the LAN within 2s",
				Ports: []Port{{"udp", 1194}, {"tcp", 1194}}},
		},
	}
}

func TestReportGolden(t *testing.T) {
	rep := goldenDoctor(t).RunAll(context.Background())
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"report.golden.json", func(b *bytes.Buffer) error { return rep.WriteJSON(b) }},
		{"report.golden.txt", func(b *bytes.Buffer) error { return rep.WriteText(b) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.write(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", f.name)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readTestdata(t, f.name); buf.String() != want {
				t.Fatalf("report changed (run with -update if on purpose, and bump SchemaVersion if a JSON field changed meaning):\n%s", buf.String())
			}
		})
	}
	if rep.Healthy() || len(rep.Checks) != len(IDs()) {
		t.Errorf("healthy=%v, %d checks", rep.Healthy(), len(rep.Checks))
	}
}

// The schema: these keys exist, with these JSON types, for every check.
func TestReportSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenDoctor(t).RunAll(context.Background()).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schema"] != float64(SchemaVersion) {
		t.Fatalf("schema %v", doc["schema"])
	}
	for _, k := range []string{"time", "counts", "checks"} {
		if _, ok := doc[k]; !ok {
			t.Fatalf("no %q", k)
		}
	}
	statuses := map[string]bool{"ok": true, "warn": true, "fail": true, "skip": true, "error": true}
	for i, c := range doc["checks"].([]any) {
		m := c.(map[string]any)
		if m["id"] != IDs()[i] || m["title"] == "" || !statuses[m["status"].(string)] || m["summary"] == "" {
			t.Errorf("check %d: %v", i, m)
		}
		for _, f := range asSlice(m["fixes"]) {
			fm := f.(map[string]any)
			if fm["id"] == "" || fm["summary"] == "" {
				t.Errorf("fix %v", fm)
			}
		}
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}
