package babel

import (
	"net/netip"
	"testing"
	"time"
)

func xr(p string) Xroute { return Xroute{Prefix: netip.MustParsePrefix(p)} }

func TestTwoNodes(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{Xroutes: []Xroute{xr("2001:db8:a::/48")}})
	b := s.node("b", Config{Xroutes: []Xroute{xr("2001:db8:b::/48")}})
	s.connect(a, b, Tunnel)
	took := s.runUntil(30*time.Second, "routes both ways", func() bool {
		return a.kernelHas("2001:db8:b::/48 via fe80::201 dev 1") &&
			b.kernelHas("2001:db8:a::/48 via fe80::101 dev 1")
	})
	t.Logf("converged in %v", took)
	snap := a.c.snapshot()
	if len(snap.Neighbours) != 1 || snap.Neighbours[0].Cost != 96 || snap.Neighbours[0].TxCost != 96 {
		t.Fatalf("neighbours: %+v", snap.Neighbours)
	}
	s.run(2 * time.Minute)
	if got := a.kern.String(); got != "2001:db8:b::/48 via fe80::201 dev 1\n" {
		t.Errorf("a's kernel after 2 min:\n%s", got)
	}
	if n := a.c.snapshot().Neighbours; len(n) != 1 || n[0].Reach != 0xFFFF {
		t.Errorf("a's neighbour after 2 min: %+v", n)
	}
}
