package node_test

import (
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

// TestLabUPnP runs a node on l1, behind the lab's NAT router gw running
// miniupnpd, with --ip upnp: it maps its server port on gw and announces
// gw's address with the mapped port; the other nodes open tunnels to it
// through the mapping; once the node stops, the mapping is gone.
func TestLabUPnP(t *testing.T) {
	netlab.Require(t)
	start := time.Now()
	// l1 opens a single tunnel itself, so that at least two of the three
	// others have to reach its server to get their client_count.
	d := formed(t, demo.Config{Nodes: 3, ClientCount: 3, BehindNAT: 1,
		Args: map[string][]string{"l1": {"--client-count", "1"}}})
	l1, gw := d.Nodes[3], d.Lab.Host("gw")
	wan := netip.MustParseAddr("198.18.0.1")

	// l1 reaches the others through its own client tunnel: the network
	// may form before the mapping is made.
	var u state.UPnP
	netlab.WaitFor(t, 30*time.Second, "l1's UPnP mapping", func() error {
		u = snapshotOf(t, l1).UPnP
		if u.Phase != state.UPnPMapped || u.External != wan || len(u.Mappings) != 1 {
			return fmt.Errorf("l1's UPnP state %+v: want one mapping on %s", u, wan)
		}
		return nil
	})
	m := u.Mappings[0]
	if m.Proto != "tcp" || m.Internal != 1194 || m.External < 32768 || m.External > 49151 || u.Renewed.IsZero() {
		t.Errorf("mapping %+v: want tcp 1194 on a port in 32768-49151", m)
	}
	mapped := netip.AddrPortFrom(wan, m.External)
	// The doctor's UPnP check, run by the node, says so.
	netlab.WaitFor(t, 10*time.Second, "l1's UPnP finding", func() error {
		for _, f := range snapshotOf(t, l1).Findings {
			if f.ID == "upnp" && f.Status == state.CheckOK && strings.Contains(f.Explanation, mapped.String()) {
				return nil
			} else if f.ID == "upnp" {
				return fmt.Errorf("%s: %s", f.Status, f.Explanation)
			}
		}
		return errors.New("none")
	})
	if rules := gw.Run(t, "nft", "list", "table", "inet", netlab.UPnPTable); !strings.Contains(rules, fmt.Sprint(m.External)) {
		t.Fatalf("gw does not forward %d:\n%s", m.External, rules)
	}
	// Other nodes tunnel to l1 through the mapping.
	netlab.WaitFor(t, 60*time.Second, "a client tunnel to l1 through "+mapped.String(), func() error {
		for _, n := range d.Nodes[:3] {
			for _, tun := range snapshotOf(t, n).Tunnels {
				if tun.Role == state.Client && tun.State == state.TunnelUp && tun.Peer == l1.ID.Subnet && tun.Remote == mapped {
					t.Logf("%s → l1 through %s", n.Host.Name, tun.Remote)
					return nil
				}
			}
		}
		return errors.New("none yet")
	})
	t.Logf("formed and tunnelled through the mapping %v after the start", time.Since(start).Round(time.Millisecond))

	if err := l1.Proc.Stop(); err != nil {
		t.Fatal(err)
	}
	if rules := gw.Run(t, "nft", "list", "table", "inet", netlab.UPnPTable); strings.Contains(rules, fmt.Sprint(m.External)) {
		t.Errorf("gw still forwards %d after l1's node stopped:\n%s", m.External, rules)
	}
}
