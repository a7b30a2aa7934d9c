package node_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// TestLabGateway makes h1's node a gateway. It exports the network's
// default route only while its host has a default route babeld would
// export: not one of "proto boot", which babeld's filters skip (the node
// says so in its log); then, with a static default route to an
// "Internet" host, the other nodes install `default from <network>` and
// reach that host from their re6st address; when the gateway's default
// route goes, so does theirs.
func TestLabGateway(t *testing.T) {
	netlab.Require(t)
	d := formed(t, demo.Config{Nodes: 3, Extra: 1, Gateway: true})
	gw, inet := d.Nodes[0], d.Lab.Host("h4")
	const server = "2001:db8:ffff::1"
	inet.Run(t, "ip", "-6", "addr", "add", server+"/128", "dev", "lo", "nodad")
	inet.Run(t, "ip", "-6", "route", "add", demo.Network, "via", gw.Host.IPv6.String())

	gw.Host.Run(t, "ip", "-6", "route", "add", "default", "via", inet.IPv6.String(), "proto", "boot")
	netlab.WaitFor(t, 30*time.Second, "the gateway to say it does not export a 'proto boot' default route", func() error {
		log, _ := os.ReadFile(gw.LogFile())
		if !strings.Contains(string(log), "default route not exported") || !strings.Contains(string(log), "proto boot") {
			return errors.New("not in its log")
		}
		return nil
	})
	for _, x := range snapshotOf(t, gw).XRoutes {
		if x.Prefix.Bits() == 0 {
			t.Fatalf("the gateway exports %v from a 'proto boot' default route", x)
		}
	}

	gw.Host.Run(t, "ip", "-6", "route", "replace", "default", "via", inet.IPv6.String(), "proto", "static")
	added := time.Now()
	n := d.Nodes[2]
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+"'s default route from the network", func() error {
		if out := babelDefault(t, n); out == "" {
			return errors.New("none")
		}
		return nil
	})
	t.Logf("%s has the default route %v after the gateway's host got one", n.Host.Name, time.Since(added).Round(time.Millisecond))
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+" reaching "+server+" through the gateway", func() error {
		_, err := n.Host.PingFrom(context.Background(), n.ID.Addr, server, 1)
		return err
	})

	gw.Host.Run(t, "ip", "-6", "route", "del", "default", "via", inet.IPv6.String())
	deleted := time.Now()
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+"'s default route from the network to go", func() error {
		if out := babelDefault(t, n); out != "" {
			return fmt.Errorf("still there: %s", out)
		}
		return nil
	})
	t.Logf("%s lost it %v after the gateway's host did", n.Host.Name, time.Since(deleted).Round(time.Millisecond))
}

// babelDefault is the default route from the network Babel installed on
// n, or "".
func babelDefault(t *testing.T, n *demo.Node) string {
	out := n.Host.Run(t, "ip", "-6", "route", "show", "default")
	if strings.Contains(out, "default from "+demo.Network) && strings.Contains(out, "proto babel") {
		return strings.TrimSpace(out)
	}
	return ""
}
