package node_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// TestLabGateway makes h1's node a gateway with a default route to an
// "Internet" host: the other nodes install `default from <network>` and
// reach that host from their re6st address through the gateway.
func TestLabGateway(t *testing.T) {
	netlab.Require(t)
	d := formed(t, demo.Config{Nodes: 3, Extra: 1, Gateway: true})
	gw, inet := d.Nodes[0].Host, d.Lab.Host("h4")
	const server = "2001:db8:ffff::1"
	inet.Run(t, "ip", "-6", "addr", "add", server+"/128", "dev", "lo")
	inet.Run(t, "ip", "-6", "route", "add", demo.Network, "via", gw.IPv6.String())
	gw.Run(t, "ip", "-6", "route", "add", "default", "via", inet.IPv6.String())
	n := d.Nodes[2]
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+"'s default route from the network", func() error {
		out := n.Host.Run(t, "ip", "-6", "route", "show", "default")
		if !strings.Contains(out, "default from "+demo.Network) || !strings.Contains(out, "proto babel") {
			return fmt.Errorf("routes: %q", out)
		}
		return nil
	})
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+" reaching "+server+" through the gateway", func() error {
		return pingFrom(n.Host, n.ID.Addr, server)
	})
}

// pingFrom sends one echo request from src inside h.
func pingFrom(h *netlab.Host, src netip.Addr, dst string) error {
	return h.Do(func() error {
		p, err := probing.NewPinger(dst)
		if err != nil {
			return err
		}
		p.SetPrivileged(true)
		p.Source = src.String()
		p.Count, p.Timeout = 1, time.Second
		if err := p.Run(); err != nil {
			return err
		}
		if p.Statistics().PacketsRecv == 0 {
			return fmt.Errorf("no reply from %s", dst)
		}
		return nil
	})
}
