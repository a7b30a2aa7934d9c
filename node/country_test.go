package node

import (
	"context"
	"path/filepath"
	"testing"

	"re6st-tui/node/cache"
	"re6st-tui/node/config"
	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
)

// Our entries carry our country only when the network keeps tunnels
// within countries, as re6st's do.
func TestAnnouncedCountry(t *testing.T) {
	pp := []config.PortProto{{Port: 1194, Proto: "tcp"}}
	for _, tc := range []struct {
		name    string
		same    []string
		country string // --country
		learnt  string // from the registry
		want    string
	}{
		{"no-rule", nil, "FR", "", "198.51.100.7,1194,tcp"},
		{"flag", []string{"FR"}, "FR", "DE", "198.51.100.7,1194,tcp,FR"},
		{"registry", []string{"FR"}, "", "DE", "198.51.100.7,1194,tcp,DE"},
		{"unknown", []string{"FR"}, "", "", "198.51.100.7,1194,tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &Node{cfg: &config.Node{Country: tc.country, PP: pp}, net: &netconf.Config{SameCountry: tc.same}}
			n.country[0] = tc.learnt
			if got := peer.FormatAddresses(n.addressesFor("198.51.100.7", false), true); got != tc.want {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
		})
	}
}

// At start, the countries of the previous run's address list are taken
// when it lists the same addresses, instead of asking the registry.
func TestReuseCachedCountries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ cached, want string }{
		{"198.51.100.7,1194,tcp,DE", "DE"},
		{"198.51.100.8,1194,tcp,DE", ""}, // another address: ask again
	} {
		c, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "0000000000000001")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetMyAddress(ctx, tc.cached)
		n := &Node{cfg: &config.Node{}, net: &netconf.Config{SameCountry: []string{"FR"}}, cache: c,
			address:      map[int][]peer.Address{0: {{IP: "198.51.100.7", Port: 1194, Proto: "tcp"}}},
			countryAsked: map[string]bool{}}
		n.reuseCachedCountries(ctx)
		if n.country[0] != tc.want || n.countryAsked["198.51.100.7"] != (tc.want != "") {
			t.Errorf("cached %q: country %q (asked %v), want %q", tc.cached, n.country[0], n.countryAsked, tc.want)
		}
	}
}
