package identity_test

import (
	"net/netip"
	"testing"

	"re6st-tui/node/identity"
)

func TestNodeIPv4(t *testing.T) {
	net := netip.MustParsePrefix("10.42.0.0/16")
	for _, c := range []struct {
		net            netip.Prefix
		sublen, serial int
		want           string
	}{
		{net, 8, 3, "10.42.3.1/24"},
		{net, 8, 5, "10.42.5.1/24"},
		{net, 8, 0, "10.42.0.1/24"},
		{netip.MustParsePrefix("10.42.0.0/24"), 7, 3, "10.42.0.6/31"},
		{netip.MustParsePrefix("10.42.0.0/24"), 8, 3, "10.42.0.3/32"},
	} {
		got, err := identity.NodeIPv4(c.net, c.sublen, c.serial)
		if err != nil || got.String() != c.want {
			t.Errorf("NodeIPv4(%s, %d, %d) = %s, %v; want %s", c.net, c.sublen, c.serial, got, err, c.want)
		}
	}
	for _, c := range []struct{ sublen, serial int }{{17, 0}, {8, 256}, {8, -1}} {
		if _, err := identity.NodeIPv4(net, c.sublen, c.serial); err == nil {
			t.Errorf("sublen %d serial %d accepted", c.sublen, c.serial)
		}
	}
}
