package babel

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkTable10k: one node originates 10,000 routes, the other starts
// cold and learns them all (in memory, fake kernel). Reports the simulated
// time to install all of them; ns/op is the CPU cost of the whole exchange.
func BenchmarkTable10k(b *testing.B) {
	const n = 10000
	var xs []Xroute
	for i := range n {
		xs = append(xs, Xroute{Prefix: netip.MustParsePrefix(fmt.Sprintf("2001:db8:1:%x::/64", i))})
	}
	b.ReportAllocs()
	for range b.N {
		s := newSim(b)
		a := s.node("a", Config{Xroutes: xs})
		r := s.node("r", Config{})
		s.connect(a, r, Tunnel)
		took := s.runUntil(time.Minute, "all routes", func() bool { return r.kern.Len() >= n })
		b.ReportMetric(took.Seconds(), "sim-s/converge")
	}
}
