package geoip

import (
	"testing"

	"re6st-tui/node/geoip/geoiptest"
)

func TestLookup(t *testing.T) {
	g, err := Open(geoiptest.Write(t,
		geoiptest.Entry{Net: "198.51.100.0/24", Country: "FR", Continent: "EU"},
		geoiptest.Entry{Net: "2001:db8:7::/48", Country: "JP", Continent: "AS"},
		geoiptest.Entry{Net: "203.0.113.0/25", Country: "AQ"}))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, c := range []struct {
		ip, cc, cont string
		ok           bool
	}{
		{"198.51.100.7", "FR", "EU", true}, {"2001:db8:7::1", "JP", "AS", true},
		{"203.0.113.1", "AQ", "*", true}, {"203.0.113.200", "", "", false},
		{"not an ip", "", "", false}, {"::ffff:198.51.100.9", "FR", "EU", true},
	} {
		cc, cont, ok := g.Lookup(c.ip)
		if cc != c.cc || cont != c.cont || ok != c.ok {
			t.Errorf("Lookup(%s) = %s %s %v, want %s %s %v", c.ip, cc, cont, ok, c.cc, c.cont, c.ok)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open("/nonexistent/country.mmdb"); err == nil {
		t.Error("Open of a missing file: no error")
	}
	t.Setenv(EnvVar, "")
	if db, err := OpenEnv(); db != nil || err != nil {
		t.Errorf("OpenEnv without %s: %v, %v", EnvVar, db, err)
	}
}
