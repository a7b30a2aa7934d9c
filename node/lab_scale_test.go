package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
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
	start := time.Now()
	d, err := demo.Start(ctx, demo.Config{Nodes: nodes, ClientCount: 3, Bin: binaries(t)})
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
