package geoip

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/oschwald/geoip2-golang/v2"
)

// EnvVar names the database file, as in re6st.
const EnvVar = "GEOIP2_MMDB"

// DB is an open country database.
type DB struct{ r *geoip2.Reader }

// Open opens a GeoIP2/GeoLite2 Country (or City) database.
func Open(path string) (*DB, error) {
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %s: %w (check %s)", path, err, EnvVar)
	}
	return &DB{r: r}, nil
}

// OpenEnv opens the database GEOIP2_MMDB names, or returns nil when the
// variable is unset.
func OpenEnv() (*DB, error) {
	path := os.Getenv(EnvVar)
	if path == "" {
		return nil, nil
	}
	return Open(path)
}

// Close releases the database.
func (g *DB) Close() error { return g.r.Close() }

// Lookup returns the ISO country code and continent code of ip; ok is
// false when the address is invalid or not in the database. A country
// without continent gets "*".
func (g *DB) Lookup(ip string) (country, continent string, ok bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", "", false
	}
	return g.LookupAddr(a)
}

// LookupAddr is Lookup for a parsed address.
func (g *DB) LookupAddr(a netip.Addr) (country, continent string, ok bool) {
	rec, err := g.r.Country(a.Unmap())
	if err != nil || rec.Country.ISOCode == "" {
		return "", "", false
	}
	continent = rec.Continent.Code
	if continent == "" {
		continent = "*"
	}
	return rec.Country.ISOCode, continent, true
}
