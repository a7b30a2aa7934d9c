package babel

import (
	"runtime"
	"testing"
	"time"

	"re6st-tui/routing/kernel"
)

func TestZZHeap(t *testing.T) {
	b := &testing.B{}
	_ = b
	rec := record10kT(t, 10000)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	kern := &kernel.Fake{}
	cfg := Config{RouterID: rid(2), Hello: 4 * time.Second}
	cfg.defaults()
	c := newCore(cfg, testLogger(), discard{}, kern, rec.start, 2)
	c.addInterface(Interface{Name: "a-r", Index: 1, Kind: Tunnel, LinkLocal: ll(2, 1)})
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
	runtime.GC()
	runtime.ReadMemStats(&m1)
	t.Logf("live heap %.1f MB (routes %d, sources %d, kernel %d); total alloc %.1f MB", float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, len(c.routes), 0, kern.Len(), float64(m1.TotalAlloc-m0.TotalAlloc)/1e6)
	runtime.KeepAlive(c)
	runtime.KeepAlive(kern)
}
