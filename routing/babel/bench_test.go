package babel

import (
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"re6st-tui/routing/kernel"
)

func xroutes10k(n int) []Xroute {
	xs := make([]Xroute, 0, n)
	for i := range n {
		xs = append(xs, Xroute{Prefix: netip.MustParsePrefix(fmt.Sprintf("2001:db8:1:%x::/64", i))})
	}
	return xs
}

// BenchmarkTable10k: one node originates 10,000 routes, the other starts
// cold and learns them all (in memory, fake kernel). Reports the simulated
// time to install all of them; ns/op is the CPU cost of the whole exchange.
func BenchmarkTable10k(b *testing.B) {
	const n = 10000
	xs := xroutes10k(n)
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

// recording is what a receiver got from a neighbour announcing 10,000
// routes, in order, with the time of each datagram.
type recording struct {
	start time.Time
	got   []delivery
}

func record10k(b *testing.B, n int) recording {
	s := newSim(b)
	a := s.node("a", Config{Xroutes: xroutes10k(n)})
	r := s.node("r", Config{})
	rec := recording{start: s.now}
	s.lose = func(from *simNode, d Datagram) bool {
		if from == a {
			rec.got = append(rec.got, delivery{at: s.now.Add(s.delay), d: Datagram{Ifindex: 1, Src: d.Src, Dst: d.Dst, Data: slices.Clone(d.Data)}})
		}
		return false
	}
	s.connect(a, r, Tunnel)
	s.runUntil(time.Minute, "all routes", func() bool { return r.kern.Len() >= n })
	return rec
}

// BenchmarkReceive10k is the receiver's side only: a fresh speaker is fed
// the datagrams of a neighbour announcing 10,000 routes, as recorded, and
// runs its timers until every route is in its (fake) kernel. live-MB is
// the heap the speaker and its fake kernel hold afterwards.
// Run: go test -run XXX -bench Receive10k -benchmem ./routing/babel/
func BenchmarkReceive10k(b *testing.B) {
	const n = 10000
	rec := record10k(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	var before, after runtime.MemStats
	for i := range b.N {
		if i == b.N-1 {
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&before)
			b.StartTimer()
		}
		kern := &kernel.Fake{}
		cfg := Config{RouterID: rid(2), Hello: 4 * time.Second}
		if err := cfg.defaults(); err != nil {
			b.Fatal(err)
		}
		c := newCore(cfg, testLogger(), discard{}, kern, rec.start, 2)
		if err := c.addInterface(Interface{Name: "a-r", Index: 1, Kind: Tunnel, LinkLocal: ll(2, 1)}); err != nil {
			b.Fatal(err)
		}
		next := c.nextDeadline()
		for _, d := range rec.got {
			for !next.After(d.at) {
				next = c.tick(next)
				c.commit()
			}
			c.now = d.at
			c.receive(d.d)
			c.commit()
			next = c.nextDeadline()
		}
		for end := next.Add(time.Minute); kern.Len() < n; {
			if next.After(end) {
				b.Fatalf("%d of %d routes after the replay", kern.Len(), n)
			}
			next = c.tick(next)
			c.commit()
		}
		if i == b.N-1 {
			b.StopTimer()
			runtime.GC()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "live-MB")
			runtime.KeepAlive(c)
		}
	}
}

type discard struct{}

func (discard) Send(Datagram) error { return nil }
func (discard) Join(int) error      { return nil }
func (discard) Leave(int) error     { return nil }
