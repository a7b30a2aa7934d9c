package registry

import (
	"testing"

	"re6st-tui/node/geoip"
	"re6st-tui/node/geoip/geoiptest"
)

// writeGeoDB writes a tiny country database: 198.51.100.0/24 in FR (EU),
// 2001:db8:7::/48 in JP (AS).
func writeGeoDB(t *testing.T) string {
	return geoiptest.Write(t, geoiptest.Entry{Net: "198.51.100.0/24", Country: "FR", Continent: "EU"},
		geoiptest.Entry{Net: "2001:db8:7::/48", Country: "JP", Continent: "AS"})
}

func TestGeoIP(t *testing.T) {
	g, err := geoip.Open(writeGeoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	// Anonymous requests land in the community of their address, and
	// getCountry answers.
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
