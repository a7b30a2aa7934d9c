package node_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabEightNodes forms the network: a registry and 8 nodes
// with client_count 3 and 4 s hellos, from nothing to all-pairs
// reachability over the overlay.
func TestLabEightNodes(t *testing.T) {
	netlab.Require(t)
	took := coldStart(t, 8)
	t.Logf("8 nodes: all-pairs reachability %v after the registry started", took.Round(time.Millisecond))
}

func coldStart(t testing.TB, nodes int) time.Duration {
	ctx := context.Background()
	bin := binaries(t) // built once, before the clock starts
	start := time.Now()
	d, err := demo.Start(ctx, demo.Config{Nodes: nodes, ClientCount: 3, Bin: bin})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.WaitReachable(ctx, 5*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, report(t, d))
	}
	return time.Since(start)
}

// BenchmarkLabColdStart measures the time from nothing to all-pairs
// reachability, hello 4 s, client_count 3.
func BenchmarkLabColdStart(b *testing.B) {
	netlab.Require(b)
	for _, nodes := range []int{8, 16} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				total += coldStart(b, nodes)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s/all-pairs")
		})
	}
}

// BenchmarkLabIdleNode measures what an idle node costs with 10 tunnels:
// 11 nodes with client_count 10 form a full mesh; once it has settled,
// each re6stnet (its OpenVPN children not counted) is sampled over 30 s.
func BenchmarkLabIdleNode(b *testing.B) {
	netlab.Require(b)
	d := formed(b, demo.Config{Nodes: 11, ClientCount: 10})
	netlab.WaitFor(b, 2*time.Minute, "10 tunnels up on every node", func() error {
		for _, n := range d.Nodes {
			if k := tunnelsUp(n); k < 10 {
				return fmt.Errorf("%s has %d tunnels up", n.Host.Name, k)
			}
		}
		return nil
	})
	time.Sleep(10 * time.Second) // let the start-up work end
	b.ResetTimer()
	for range b.N {
		var worstCPU float64
		var worstRSS int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		for _, n := range d.Nodes {
			wg.Go(func() {
				share, err := netlab.CPUShare(n.Proc.Pid, 30*time.Second)
				u, uerr := netlab.ProcessUsage(n.Proc.Pid)
				if err != nil || uerr != nil {
					b.Error(err, uerr)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				worstCPU, worstRSS = max(worstCPU, share), max(worstRSS, u.RSS)
			})
		}
		wg.Wait()
		b.ReportMetric(100*worstCPU, "%cpu-worst-node")
		b.ReportMetric(float64(worstRSS)/(1<<20), "MB-rss-worst-node")
	}
}

// tunnelsUp counts the node's tunnels that are up, either way.
func tunnelsUp(n *demo.Node) int {
	st, err := snapshot(n)
	if err != nil {
		return 0
	}
	k := 0
	for _, tu := range st.Tunnels {
		if tu.State == state.TunnelUp {
			k++
		}
	}
	return k
}
