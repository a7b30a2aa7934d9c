package registry

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/geoip2-golang/v2"
)

// GeoIP looks addresses up in a MaxMind country database, the file that
// re6st names in the GEOIP2_MMDB environment variable.
type GeoIP struct{ r *geoip2.Reader }

// OpenGeoIP opens a GeoIP2/GeoLite2 Country (or City) database.
func OpenGeoIP(path string) (*GeoIP, error) {
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open GeoIP database %s: %w (check GEOIP2_MMDB)", path, err)
	}
	return &GeoIP{r: r}, nil
}

// Close releases the database.
func (g *GeoIP) Close() error { return g.r.Close() }

// Lookup returns the ISO country code and continent code of ip; ok is
// false when the address is invalid or not in the database.
func (g *GeoIP) Lookup(ip string) (country, continent string, ok bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return "", "", false
	}
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
