package remotegw

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"re6st-tui/node/netlab"
)

// In h1, the remotes h4 and h5 get host routes through the gateways h2
// and h3 in turn; traffic to them follows, and Close removes the routes.
func TestLabRoutes(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 5})
	h1, h2, h3, h4, h5 := lab.Host("h1"), lab.Host("h2"), lab.Host("h3"), lab.Host("h4"), lab.Host("h5")
	m, err := Open(Netlink{Handle: h1.Handle()}, filepath.Join(t.TempDir(), "remotegw.json"), []netip.Addr{h2.IPv4, h3.IPv4})
	if err != nil {
		t.Fatal(err)
	}
	must(t, m.Acquire(h4.IPv4, true))
	must(t, m.Acquire(h5.IPv4, true))
	for _, c := range []struct{ dst, via *netlab.Host }{{h4, h2}, {h5, h3}} {
		got := h1.Run(t, "ip", "-4", "route", "get", c.dst.IPv4.String())
		if !strings.Contains(got, "via "+c.via.IPv4.String()) {
			t.Errorf("route to %s: %q, want it via %s", c.dst.Name, got, c.via.Name)
		}
		if _, err := h1.Ping(context.Background(), c.dst.IPv4.String(), 1); err != nil {
			t.Errorf("through %s: %v", c.via.Name, err)
		}
	}
	must(t, m.Close())
	if got := h1.Run(t, "ip", "-4", "route"); strings.Contains(got, "/32") || strings.Contains(got, " via ") {
		t.Errorf("routes left after Close:\n%s", got)
	}
}
