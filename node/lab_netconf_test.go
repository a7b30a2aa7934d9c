package node_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// TestLabNetworkConfigChange changes the registry's settings: a
// tunnel_refresh change applies live on every node, without a restart; a
// hello change restarts every node, and the network forms again.
func TestLabNetworkConfigChange(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	mark := func() map[*demo.Node]int {
		m := map[*demo.Node]int{}
		for _, n := range d.Nodes {
			m[n] = len(readLog(n))
		}
		return m
	}
	// since returns the log lines node n wrote after the mark.
	since := func(m map[*demo.Node]int, n *demo.Node) string {
		return strings.Join(readLog(n)[m[n]:], "\n")
	}

	before := mark()
	start := time.Now()
	if err := d.RestartRegistry("tunnel-refresh 60"); err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, 60*time.Second, "tunnel_refresh applied on every node", func() error {
		for _, n := range d.Nodes {
			if !strings.Contains(since(before, n), "tunnel_refresh applied from=5m0s to=1m0s") {
				return fmt.Errorf("not on %s yet", n.Host.Name)
			}
		}
		return nil
	})
	t.Logf("tunnel_refresh applied on every node %v after the registry restarted", time.Since(start).Round(time.Millisecond))
	for _, n := range d.Nodes {
		if log := since(before, n); strings.Contains(log, "restarting for the new network config") {
			t.Errorf("%s restarts for a tunnel_refresh change:\n%s", n.Host.Name, log)
		}
	}
	if took, err := d.WaitReachable(ctx, 30*time.Second); err != nil {
		t.Fatalf("after the live change: %v\n%s", err, report(t, d))
	} else {
		t.Logf("all pairs reachable, checked in %v", took.Round(time.Millisecond))
	}

	before = mark()
	start = time.Now()
	if err := d.RestartRegistry("hello 5"); err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, 60*time.Second, "every node restarted", func() error {
		for _, n := range d.Nodes {
			log := since(before, n)
			i := strings.Index(log, "restarting for the new network config")
			if i < 0 || !strings.Contains(log[i:], "node started") {
				return fmt.Errorf("%s has not restarted yet", n.Host.Name)
			}
		}
		return nil
	})
	restarted := time.Since(start)
	if _, err := d.WaitReachable(ctx, 90*time.Second); err != nil {
		t.Fatalf("after the restart: %v\n%s", err, report(t, d))
	}
	t.Logf("a hello change: every node restarted within %v, all pairs reachable again %v after the registry restarted",
		restarted.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
