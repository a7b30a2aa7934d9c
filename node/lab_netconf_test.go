package node_test

import (
	"context"
	"fmt"
	"os"
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
	before := markLogs(d)
	start := time.Now()
	if err := d.RestartRegistry("tunnel-refresh 60"); err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, 60*time.Second, "tunnel_refresh applied on every node", func() error {
		for _, n := range d.Nodes {
			if !strings.Contains(before.since(n), "tunnel_refresh applied from=5m0s to=1m0s") {
				return fmt.Errorf("not on %s yet", n.Host.Name)
			}
		}
		return nil
	})
	t.Logf("tunnel_refresh applied on every node %v after the registry restarted", time.Since(start).Round(time.Millisecond))
	for _, n := range d.Nodes {
		if log := before.since(n); strings.Contains(log, "restarting for the new network config") {
			t.Errorf("%s restarts for a tunnel_refresh change:\n%s", n.Host.Name, log)
		}
	}
	if took, err := d.WaitReachable(ctx, 30*time.Second); err != nil {
		t.Fatalf("after the live change: %v\n%s", err, report(t, d))
	} else {
		t.Logf("all pairs reachable, checked in %v", took.Round(time.Millisecond))
	}

	before = markLogs(d)
	start = time.Now()
	if err := d.RestartRegistry("hello 5"); err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, 60*time.Second, "every node restarted", func() error {
		for _, n := range d.Nodes {
			log := before.since(n)
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

// logMarks remembers how far, in bytes, each node's log went, to read what
// follows.
type logMarks map[*demo.Node]int

func markLogs(d *demo.Demo) logMarks {
	m := logMarks{}
	for _, n := range d.Nodes {
		b, _ := os.ReadFile(n.LogFile())
		m[n] = len(b)
	}
	return m
}

// since returns what node n logged after the mark (all of its log if the
// file was started again meanwhile).
func (m logMarks) since(n *demo.Node) string {
	b, _ := os.ReadFile(n.LogFile())
	if m[n] > len(b) {
		return string(b)
	}
	return string(b[m[n]:])
}

// TestLabBabelKeyRotation runs the registry's three-step rotation of the
// Babel MAC keys (updateHMAC): every node applies each step live, no node
// restarts, and traffic across the network never stops.
func TestLabBabelKeyRotation(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	src, dst := d.Nodes[1], d.Nodes[3]
	p, err := src.Host.Prober(src.ID.Addr)
	if err != nil {
		t.Fatal(err)
	}
	stream := p.Stream(dst.ID.Addr, probeEvery)
	defer stream.Stop()
	registry := d.Nodes[0].Host.HTTPClient(10 * time.Second)
	before := markLogs(d)
	for step := 1; step <= 3; step++ {
		resp, err := registry.Get("http://127.0.0.1/updateHMAC")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("updateHMAC step %d: %s", step, resp.Status)
		}
		// Each step must reach every node before the next one.
		waitNetwork(t, d, 30*time.Second, fmt.Sprintf("step %d of the key rotation on every node", step), func() error {
			for _, n := range d.Nodes {
				if c := strings.Count(before.since(n), "Babel keys changed"); c < step {
					return fmt.Errorf("%s applied %d steps", n.Host.Name, c)
				}
			}
			return nil
		})
	}
	sent, lost := stream.Finish(time.Second)
	t.Logf("%s → %s during the rotation: %d echo requests, %d lost, at most %d in a row",
		src.Host.Name, dst.Host.Name, sent, lost, stream.LongestLoss())
	// A second without replies is a route lost; counted in requests, so
	// that a busy machine delaying the replies is not taken for one.
	if run := stream.LongestLoss(); time.Duration(run)*probeEvery >= time.Second {
		t.Errorf("traffic stopped during the rotation: %d echo requests in a row lost (one every %v)", run, probeEvery)
	}
	for _, n := range d.Nodes {
		if log := before.since(n); strings.Contains(log, "restarting for the new network config") {
			t.Errorf("%s restarted for a key change", n.Host.Name)
		}
	}
	if _, err := d.WaitReachable(ctx, 30*time.Second); err != nil {
		t.Fatalf("after the rotation: %v\n%s", err, report(t, d))
	}
}
