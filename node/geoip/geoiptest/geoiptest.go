// Package geoiptest writes small country databases for tests, in the
// format of MaxMind's GeoLite2 Country.
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Entry places a network in a country and continent ("FR", "EU").
type Entry struct{ Net, Country, Continent string }

// Write writes a database holding entries in the test's temporary
// directory and returns its path.
func Write(t testing.TB, entries ...Entry) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		_, n, err := net.ParseCIDR(e.Net)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}}
		if e.Continent != "" {
			rec["continent"] = mmdbtype.Map{"code": mmdbtype.String(e.Continent)}
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
