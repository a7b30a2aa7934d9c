package babel

import (
	"net/netip"
	"testing"
	"time"
)

// A client leaves an OpenVPN server whose tap stays up for its other
// clients: the server's speaker is told the client's prefix and must move
// its route through another path at once, not after the client's Hellos
// time out.
func TestFlushOriginReroutesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flush bool
	}{{"flushed", true}, {"hello-timeout", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			server := s.node("server", Config{})
			x := s.node("x", Config{Xroutes: []Xroute{xr("2001:db8:10::/48")}})
			z := s.node("z", Config{Xroutes: []Xroute{xr("2001:db8:30::/48")}})
			y := s.node("y", Config{})
			tap := s.share("tap", Tunnel, server, x, z)
			s.connect(x, y, Tunnel)
			s.connect(y, server, Tunnel)
			xAddr, zAddr := netip.MustParseAddr("2001:db8:10::1"), netip.MustParseAddr("2001:db8:30::1")
			s.runUntil(20*time.Second, "direct route to x", func() bool { return s.nextHop(server, xAddr) == x })
			s.run(time.Minute)

			tap.ends[1].cut = true // x's OpenVPN client is gone
			if tc.flush {
				server.c.now = s.now
				n, err := server.c.flushOrigin("tap", netip.MustParsePrefix("2001:db8:10::/48"))
				if err != nil || n != 1 {
					t.Fatalf("flushOrigin: %d neighbours, %v", n, err)
				}
				server.next = server.c.nextDeadline()
			}
			took := s.runUntil(time.Minute, "route to x via y", func() bool { return s.nextHop(server, xAddr) == y })
			t.Logf("rerouted after %v", took)
			if tc.flush && took > 500*time.Millisecond {
				t.Errorf("rerouted after %v of simulated time, want at once (< 500 ms)", took)
			}
			if !tc.flush && took < 5*time.Second {
				t.Errorf("without a flush, rerouted after %v: the scenario does not test the flush", took)
			}
			if s.nextHop(server, zAddr) != z {
				t.Error("the other client of the tap lost its route")
			}
		})
	}
}

func TestFlushErrors(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	b := s.node("b", Config{Xroutes: []Xroute{xr("2001:db8:b::/48")}})
	s.connect(a, b, Tunnel)
	s.runUntil(10*time.Second, "route", func() bool { return a.kernelHas("2001:db8:b::/48 via") })
	if _, err := a.c.flushOrigin("nope", netip.MustParsePrefix("2001:db8:b::/48")); err == nil {
		t.Error("unknown interface accepted")
	}
	if n, err := a.c.flushOrigin("a-b", netip.MustParsePrefix("2001:db8:c::/48")); err != nil || n != 0 {
		t.Errorf("unknown origin: %d, %v", n, err)
	}
	if err := a.c.flushNeighbourAt("a-b", netip.MustParseAddr("fe80::99")); err == nil {
		t.Error("unknown neighbour accepted")
	}
	if err := a.c.flushNeighbourAt("a-b", ll(2, 1)); err != nil {
		t.Fatal(err)
	}
	a.c.commit()
	if len(a.c.neighs) != 0 || a.kernelHas("2001:db8:b::/48 via") {
		t.Errorf("after FlushNeighbour: %d neighbours, kernel:\n%s", len(a.c.neighs), a.kern)
	}
	// It is still there: its next Hello brings it and its routes back.
	s.runUntil(30*time.Second, "route back", func() bool { return a.kernelHas("2001:db8:b::/48 via") })
}
