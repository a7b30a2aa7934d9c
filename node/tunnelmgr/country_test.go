package tunnelmgr

import (
	"context"
	"net/netip"
	"testing"

	"re6st-tui/node/geoip"
	"re6st-tui/node/geoip/geoiptest"
	"re6st-tui/node/peer"
)

// same_country, with a country database written for the test: FR, DE
// and JP networks, and addresses it does not know.
func TestSameCountry(t *testing.T) {
	db, err := geoip.Open(geoiptest.Write(t,
		geoiptest.Entry{Net: "198.51.100.0/24", Country: "FR", Continent: "EU"},
		geoiptest.Entry{Net: "203.0.113.0/24", Country: "DE", Continent: "EU"},
		geoiptest.Entry{Net: "2001:db8:7::/48", Country: "JP", Continent: "AS"}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lookup := func(a netip.Addr) string { c, _, _ := db.LookupAddr(a); return c }
	resolve := func(_ context.Context, host string, family int) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("198.51.100.9"), netip.MustParseAddr("203.0.113.9")}, nil
	}
	for _, tc := range []struct {
		name      string
		same      []string
		mine      string // ours, for both families
		noGeoIP   bool
		addresses string
		want      string // what the tunnel tries; "" opens none
	}{
		{"no-rule", nil, "FR", false, "203.0.113.1,1194,tcp,DE", "203.0.113.1,1194,tcp"},
		{"ours-unknown", []string{"FR"}, "", false, "203.0.113.1,1194,tcp,DE;peer.example,1194,tcp", "203.0.113.1,1194,tcp;peer.example,1194,tcp"},
		{"in-list-same", []string{"FR"}, "FR", false, "198.51.100.1,1194,tcp,FR", "198.51.100.1,1194,tcp"},
		{"in-list-other", []string{"FR"}, "FR", false, "198.51.100.1,1194,tcp,DE", ""},
		{"in-list-geoip", []string{"FR"}, "FR", false, "203.0.113.1,1194,tcp;198.51.100.1,1194,tcp", "198.51.100.1,1194,tcp"},
		{"in-list-entry-wins", []string{"FR"}, "FR", false, "203.0.113.1,1194,tcp,FR", "203.0.113.1,1194,tcp"},
		{"in-list-unknown-passes", []string{"FR"}, "FR", false, "192.0.2.1,1194,tcp", "192.0.2.1,1194,tcp"},
		{"no-geoip-passes", []string{"FR"}, "FR", true, "203.0.113.1,1194,tcp", "203.0.113.1,1194,tcp"},
		{"outside-list", []string{"FR"}, "DE", false, "198.51.100.1,1194,tcp;203.0.113.1,1194,tcp;192.0.2.1,1194,tcp", "203.0.113.1,1194,tcp;192.0.2.1,1194,tcp"},
		{"ipv6", []string{"JP"}, "JP", false, "2001:db8:7::1,1194,tcp6;2001:db8:8::1,1194,tcp6", "2001:db8:7::1,1194,tcp6;2001:db8:8::1,1194,tcp6"},
		{"ipv6-other", []string{"FR", "JP"}, "FR", false, "2001:db8:7::1,1194,tcp6", ""},
		{"name-resolved", []string{"FR"}, "FR", false, "peer.example,1194,tcp", "198.51.100.9,1194,tcp"},
		{"family-mismatch", []string{"FR"}, "FR", false, "2001:db8:7::1,1194,tcp", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 3)
			e.m.cfg.Disabled = nil
			e.m.cfg.Countries = Countries{Same: tc.same, Mine: func(int) string { return tc.mine }, Lookup: lookup, Resolve: resolve}
			if tc.noGeoIP {
				e.m.cfg.Countries.Lookup = nil
			}
			p := pfx(7)
			e.cachePeer(t, p, tc.addresses)
			opened := e.m.Connect(context.Background(), p)
			got := peer.FormatAddresses(e.tun.addrs[p], true)
			if got != tc.want || opened != (tc.want != "") {
				t.Errorf("tunnel to %q (opened %v), want %q", got, opened, tc.want)
			}
		})
	}
}
