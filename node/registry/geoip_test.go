package registry

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeGeoDB writes a tiny country database: 198.51.100.0/24 in FR (EU),
// 2001:db8:7::/48 in JP (AS).
func writeGeoDB(t *testing.T) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ net, cc, cont string }{
		{"198.51.100.0/24", "FR", "EU"}, {"2001:db8:7::/48", "JP", "AS"},
	} {
		_, n, _ := net.ParseCIDR(e.net)
		rec := mmdbtype.Map{
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String(e.cc)},
			"continent": mmdbtype.Map{"code": mmdbtype.String(e.cont)},
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGeoIP(t *testing.T) {
	g, err := OpenGeoIP(writeGeoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct {
		ip, cc, cont string
		ok           bool
	}{
		{"198.51.100.7", "FR", "EU", true}, {"2001:db8:7::1", "JP", "AS", true},
		{"203.0.113.1", "", "", false}, {"not an ip", "", "", false}, {"::ffff:198.51.100.9", "FR", "EU", true},
	} {
		cc, cont, ok := g.Lookup(c.ip)
		if cc != c.cc || cont != c.cont || ok != c.ok {
			t.Errorf("Lookup(%s) = %s %s %v", c.ip, cc, cont, ok)
		}
	}
	// Through the registry: anonymous requests land in the community of
	// their address, and getCountry answers.
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Country = g.Lookup
	cfg.Communities = []Community{{"0", []string{"*"}}, {"10", []string{"FR"}}, {"11", []string{"@AS"}}}
	r := openTest(t, cfg)
	for ip, want := range map[string]string{"198.51.100.7": "10", "2001:db8:7::5": "11", "203.0.113.1": "0"} {
		pem, err := r.RequestCertificate(CertRequest{CSR: csr(t, nodeKey(0)), IP: ip})
		if err != nil {
			t.Fatal(err)
		}
		if p := prefixOf(t, pem); p[:len(want)] != want {
			t.Errorf("%s got %s, want community %s", ip, p, want)
		}
	}
	if body, err := rpcGetCountry(r, &call{args: map[string]string{"address": "198.51.100.1"}}); string(body) != "FR" || err != nil {
		t.Errorf("getCountry: %q %v", body, err)
	}
	if body, err := rpcGetCountry(r, &call{args: map[string]string{"address": "203.0.113.1"}}); body != nil || err != nil {
		t.Errorf("getCountry unknown: %q %v", body, err)
	}
}
