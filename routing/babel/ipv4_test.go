package babel

import (
	"net/netip"
	"testing"
	"time"
)

// An IPv4 route is announced, as babeld does, with the interface's IPv4
// address as next hop, or as v4-via-v6 on an interface without one; the
// receiver installs it either way, with its IPv4 preferred source.
func TestIPv4Routes(t *testing.T) {
	for _, tc := range []struct {
		name, ipv4, want string
	}{
		{"ipv4-next-hop", "198.19.129.1", "198.19.129.0/25 via 198.19.129.1 dev 1 src 198.19.128.1"},
		{"v4-via-v6", "", "198.19.129.0/25 via fe80::101 dev 1 src 198.19.128.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			b := s.node("b", Config{Xroutes: []Xroute{xr("198.19.129.0/25"), xr("2001:db8:b::/48")}})
			a := s.node("a", Config{Install: InstallPolicy{PrefSrc4: netip.MustParseAddr("198.19.128.1")}})
			l := s.connect(b, a, Tunnel)
			if tc.ipv4 != "" {
				b.c.ifaces[l.ends[0].ifindex].IPv4 = netip.MustParseAddr(tc.ipv4)
			}
			s.runUntil(10*time.Second, "the IPv4 route", func() bool { return a.kernelHas(tc.want) })
		})
	}
}
