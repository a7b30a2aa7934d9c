package node_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// hostRoute matches `ip -4 route` lines of host routes through a gateway.
var hostRoute = regexp.MustCompile(`(?m)^(\d+\.\d+\.\d+\.\d+) via (\S+) `)

// TestLabRemoteGateway runs h2's node with --remote-gateway h4: the IPv4
// address of its client tunnel gets a host route through h4, the peer
// that dialled its server gets none, and the route goes when the node
// stops.
func TestLabRemoteGateway(t *testing.T) {
	netlab.Require(t)
	// h4, the extra host, is 198.18.0.14 and forwards like every lab host.
	const gwAddr = "198.18.0.14"
	// With a single tunnel of its own, h2 is dialled by the other node,
	// which wants two.
	d := formed(t, demo.Config{Nodes: 3, ClientCount: 2, Extra: 1,
		Args: map[string][]string{"h2": {"--remote-gateway", gwAddr, "--client-count", "1"}}})
	n := d.Nodes[1]
	if got := d.Lab.Host("h4").IPv4.String(); got != gwAddr {
		t.Fatalf("h4 is %s, not %s", got, gwAddr)
	}

	var clients, served []string
	netlab.WaitFor(t, 60*time.Second, "a host route through h4 for h2's client tunnel, none for its served peer", func() error {
		clients, served = nil, nil
		for _, tun := range snapshotOf(t, n).Tunnels {
			switch {
			case tun.Role == state.Client && tun.State == state.TunnelUp:
				clients = append(clients, tun.Remote.Addr().String())
			case tun.Role == state.Server:
				served = append(served, tun.Remote.Addr().String())
			}
		}
		slices.Sort(clients)
		var routed []string
		for _, m := range hostRoute.FindAllStringSubmatch(n.Host.Run(t, "ip", "-4", "route"), -1) {
			if m[2] != gwAddr {
				return fmt.Errorf("route to %s via %s", m[1], m[2])
			}
			routed = append(routed, m[1])
		}
		slices.Sort(routed)
		if len(clients) == 0 || len(served) == 0 || !slices.Equal(clients, routed) {
			return fmt.Errorf("client tunnels to %v, served %v, host routes to %v", clients, served, routed)
		}
		return nil
	})
	t.Logf("h2 dials %v through h4, and serves %v", clients, served)
	for _, ip := range clients {
		if got := n.Host.Run(t, "ip", "-4", "route", "get", ip); !strings.Contains(got, "via "+gwAddr) {
			t.Errorf("h2 reaches %s by %q, not through h4", ip, got)
		}
	}
	if err := n.Proc.Stop(); err != nil {
		t.Fatal(err)
	}
	if got := n.Host.Run(t, "ip", "-4", "route"); hostRoute.MatchString(got) {
		t.Errorf("host routes left after h2's node stopped:\n%s", got)
	}
}
