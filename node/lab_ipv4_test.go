package node_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabIPv4 runs a network that carries IPv4 (registry --ipv4): each
// node gets its IPv4 subnet from its certificate, Babel carries the
// subnets, and every node pings every other's IPv4 address over the
// overlay. A stopped node leaves none of its IPv4 routes behind.
func TestLabIPv4(t *testing.T) {
	netlab.Require(t)
	const network = "198.19.128.0/17"
	d := formed(t, demo.Config{Nodes: 3, IPv4: network + " 8"})
	addrs := map[*demo.Node]netip.Prefix{}
	for _, n := range d.Nodes {
		p := snapshotOf(t, n).Identity.IPv4
		if !p.IsValid() || p.Bits() != 25 || !netip.MustParsePrefix(network).Contains(p.Addr()) {
			t.Fatalf("%s: IPv4 %v, want a /25 inside %s", n.Host.Name, p, network)
		}
		for o, q := range addrs {
			if q.Overlaps(p) {
				t.Fatalf("%s and %s share %v and %v", n.Host.Name, o.Host.Name, p, q)
			}
		}
		addrs[n] = p
	}
	ctx := context.Background()
	for _, from := range d.Nodes {
		for _, to := range d.Nodes {
			if from == to {
				continue
			}
			dst := addrs[to].Addr()
			netlab.WaitFor(t, 30*time.Second, fmt.Sprintf("%s → %s at %s", from.Host.Name, to.Host.Name, dst), func() error {
				_, err := from.Host.PingFrom(ctx, addrs[from].Addr(), dst.String(), 1)
				return err
			})
		}
	}
	n := d.Nodes[1]
	// The node's state, which the dashboard shows, follows the kernel's
	// IPv4 routes too.
	for _, o := range []*demo.Node{d.Nodes[0], d.Nodes[2]} {
		want := addrs[o].Masked()
		netlab.WaitFor(t, 10*time.Second, n.Host.Name+"'s state showing its kernel route to "+want.String(), func() error {
			for _, k := range snapshotOf(t, n).Kernel {
				if k.Dst == want && k.Proto == state.OriginBabel {
					return nil
				}
			}
			return errors.New("not there")
		})
	}
	routes := n.Host.Run(t, "ip", "-4", "route", "show", "proto", "babel")
	t.Logf("%s's IPv4 routes from Babel:\n%s", n.Host.Name, routes)
	for _, o := range []*demo.Node{d.Nodes[0], d.Nodes[2]} {
		if !strings.Contains(routes, addrs[o].Masked().String()+" via ") || !strings.Contains(routes, "src "+addrs[n].Addr().String()) {
			t.Errorf("%s has no Babel route to %s from its own address:\n%s", n.Host.Name, addrs[o], routes)
		}
	}
	if err := n.Proc.Stop(); err != nil {
		t.Fatal(err)
	}
	if left := n.Host.Run(t, "ip", "-4", "route", "show", "table", "all"); strings.Contains(left, "198.19.") {
		t.Errorf("%s: IPv4 routes left after stop:\n%s", n.Host.Name, left)
	}
}
