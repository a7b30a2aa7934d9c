package babel

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
)

func TestSourceSpecificDefault(t *testing.T) {
	s := newSim(t)
	network := netip.MustParsePrefix("2001:db8::/32")
	gw := s.node("gw", Config{Xroutes: []Xroute{{Prefix: netip.MustParsePrefix("::/0"), Src: network}}})
	a := s.node("a", Config{Install: InstallPolicy{PrefSrc6: netip.MustParseAddr("2001:db8:a::1")}})
	s.connect(gw, a, Tunnel)
	s.runUntil(10*time.Second, "default from network", func() bool {
		return a.kernelHas("default from 2001:db8::/32 via fe80::101 dev 1 src 2001:db8:a::1")
	})
	if a.kernelHas("default via") {
		t.Errorf("plain default installed:\n%s", a.kern)
	}
}

func TestLegacyDefaultInstalledFromNetwork(t *testing.T) {
	s := newSim(t)
	network := netip.MustParsePrefix("2001:db8::/32")
	gw := s.node("gw", Config{Xroutes: []Xroute{xr("::/0")}})
	a := s.node("a", Config{Install: InstallPolicy{Network: network}})
	s.connect(gw, a, Tunnel)
	s.runUntil(10*time.Second, "legacy default", func() bool {
		return a.kernelHas("default from 2001:db8::/32 via fe80::101")
	})
}

func TestNoSubtreesFallback(t *testing.T) {
	s := newSim(t)
	network := netip.MustParsePrefix("2001:db8::/32")
	gw := s.node("gw", Config{Xroutes: []Xroute{
		{Prefix: netip.MustParsePrefix("::/0"), Src: network},
		{Prefix: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db9::/32")},
		xr("2001:db8:1::/48"),
	}})
	a := s.node("a", Config{Install: InstallPolicy{Network: network, NoSubtrees: true}})
	s.connect(gw, a, Tunnel)
	s.runUntil(10*time.Second, "stripped default", func() bool {
		return a.kernelHas("default via fe80::101") && a.kernelHas("2001:db8:1::/48 via")
	})
	s.run(10 * time.Second)
	if got, want := a.kern.String(), "2001:db8:1::/48 via fe80::101 dev 1\ndefault via fe80::101 dev 1\n"; got != want {
		t.Errorf("kernel:\n%s\nwant\n%s", got, want)
	}
}

// triangle builds A–B, B–C, A–C, each originating its own /48.
func triangle(t *testing.T) (*sim, []*simNode, [3]*simLink) {
	s := newSim(t)
	var ns []*simNode
	for i, name := range []string{"a", "b", "c"} {
		ns = append(ns, s.node(name, Config{Xroutes: []Xroute{xr(fmt.Sprintf("2001:db8:%d::/48", i+1))}}))
	}
	ab := s.connect(ns[0], ns[1], Tunnel)
	bc := s.connect(ns[1], ns[2], Tunnel)
	ac := s.connect(ns[0], ns[2], Tunnel)
	return s, ns, [3]*simLink{ab, bc, ac}
}

func TestTriangleLinkDown(t *testing.T) {
	s, ns, links := triangle(t)
	a, b, c := ns[0], ns[1], ns[2]
	bAddr := netip.MustParseAddr("2001:db8:2::1")
	s.runUntil(20*time.Second, "direct routes", func() bool { return s.nextHop(a, bAddr) == b })
	s.run(time.Minute)
	s.setLink(links[0], false)
	took := s.runUntil(5*time.Second, "route via c", func() bool {
		return s.nextHop(a, bAddr) == c && s.nextHop(b, netip.MustParseAddr("2001:db8:1::1")) == c
	})
	t.Logf("outage after carrier loss: %v", took)
	if took > time.Second {
		t.Errorf("outage %v, want ≤ 1 s", took)
	}
	// The link comes back: the direct route is preferred again (after a
	// new seqno from b, as babeld does: the same metric is not feasible).
	s.setLink(links[0], true)
	took = s.runUntil(2*time.Minute, "direct route back", func() bool {
		return s.nextHop(a, bAddr) == b && s.nextHop(b, netip.MustParseAddr("2001:db8:1::1")) == a
	})
	t.Logf("direct route back %v after the link", took)
}

func TestTriangleSilentDrop(t *testing.T) {
	s, ns, links := triangle(t)
	a, b, c := ns[0], ns[1], ns[2]
	bAddr := netip.MustParseAddr("2001:db8:2::1")
	s.runUntil(20*time.Second, "direct routes", func() bool { return s.nextHop(a, bAddr) == b })
	s.run(time.Minute)
	links[0].drop = true
	took := s.runUntil(60*time.Second, "route via c", func() bool { return s.nextHop(a, bAddr) == c })
	t.Logf("outage after silent loss: %v", took)
	links[0].drop = false
	s.runUntil(60*time.Second, "direct route back", func() bool { return s.nextHop(a, bAddr) == b })
}

// TestChainFlapNoLoop runs 5 nodes in a line, flaps the middle link and
// checks after every event that no destination is looped.
func TestChainFlapNoLoop(t *testing.T) {
	s := newSim(t)
	var ns []*simNode
	for i := range 5 {
		ns = append(ns, s.node(fmt.Sprintf("n%d", i), Config{Xroutes: []Xroute{xr(fmt.Sprintf("2001:db8:%d::/48", i+1))}}))
	}
	var links []*simLink
	for i := range 4 {
		links = append(links, s.connect(ns[i], ns[i+1], Tunnel))
	}
	dst := func(i int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::1", i+1)) }
	reach := func() bool {
		for i, n := range ns {
			for j := range ns {
				if i != j && !s.reaches(n, dst(j), ns[j]) {
					return false
				}
			}
		}
		return true
	}
	s.runUntil(30*time.Second, "full reachability", reach)
	checkLoops := func() {
		for _, n := range ns {
			for j := range ns {
				if s.loops(n, dst(j)) {
					t.Fatalf("loop towards %v from %s at %v", dst(j), n.name, s.now)
				}
			}
		}
	}
	for round := range 4 {
		links[2].drop = round%2 == 0
		until := s.now.Add(40 * time.Second)
		for s.step(until) {
			checkLoops()
		}
		s.setLink(links[1], round%2 == 1)
		until = s.now.Add(20 * time.Second)
		for s.step(until) {
			checkLoops()
		}
	}
	links[2].drop = false
	s.setLink(links[1], true)
	s.runUntil(90*time.Second, "full reachability after flaps", reach)
}

// reaches follows kernel next hops from n and reports whether they end at want.
func (s *sim) reaches(n *simNode, dst netip.Addr, want *simNode) bool {
	for range 10 {
		if n == want {
			return true
		}
		if n = s.nextHop(n, dst); n == nil {
			return false
		}
	}
	return false
}

// loops reports whether following next hops from n towards dst revisits a node.
func (s *sim) loops(n *simNode, dst netip.Addr) bool {
	seen := map[*simNode]bool{}
	for n != nil {
		if seen[n] {
			return true
		}
		seen[n] = true
		// the owner of dst originates it: no kernel route there
		n = s.nextHop(n, dst)
	}
	return false
}

func TestShutdownRetracts(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{Xroutes: []Xroute{xr("2001:db8:a::/48")}})
	b := s.node("b", Config{})
	s.connect(a, b, Tunnel)
	s.runUntil(10*time.Second, "route", func() bool { return b.kernelHas("2001:db8:a::/48 via") })
	s.run(30 * time.Second)
	a.c.shutdown(s.now)
	delete(a.c.ifaces, 1) // a is gone
	a.next = s.now.Add(time.Hour)
	took := s.runUntil(time.Second, "retraction", func() bool { return !b.kernelHas("2001:db8:a::/48 via") })
	t.Logf("retracted after %v", took)
}

func TestCostMultiplier(t *testing.T) {
	s, ns, _ := triangle(t)
	a, b, c := ns[0], ns[1], ns[2]
	bAddr := netip.MustParseAddr("2001:db8:2::1")
	s.runUntil(20*time.Second, "direct", func() bool { return s.nextHop(a, bAddr) == b })
	a.c.now = s.now
	if err := a.c.setMultiplier("a-b", ll(2, 1), 0); err != nil {
		t.Fatal(err)
	}
	a.next = a.c.nextDeadline()
	s.runUntil(5*time.Second, "via c", func() bool { return s.nextHop(a, bAddr) == c })
	if n := a.c.snapshot().Neighbours; len(n) != 2 {
		t.Errorf("multiplier 0 must keep the neighbour: %+v", n)
	}
}

func TestRestartOlderSeqno(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{Seqno: 500, Xroutes: []Xroute{xr("2001:db8:a::/48")}})
	b := s.node("b", Config{})
	l := s.connect(a, b, Tunnel)
	s.runUntil(10*time.Second, "route", func() bool { return b.kernelHas("2001:db8:a::/48 via") })
	// a dies silently and comes back with the same id and an older seqno.
	l.drop = true
	s.runUntil(5*time.Minute, "route lost", func() bool { return !b.kernelHas("2001:db8:a::/48 via") })
	a.c.seqno = 490
	l.drop = false
	took := s.runUntil(30*time.Second, "route back", func() bool { return b.kernelHas("2001:db8:a::/48 via") })
	t.Logf("back after %v; a's seqno %d", took, a.c.seqno)
}

func TestAuth(t *testing.T) {
	k1, _ := wire.NewKey("k1", wire.Blake2s128, []byte("0123456789abcdef"))
	k2, _ := wire.NewKey("k2", wire.HMACSHA256, []byte("another key"))
	tests := []struct {
		name   string
		a, b   Auth
		routes bool
	}{
		{"same-key", Auth{Sign: &k1}, Auth{Sign: &k1}, true},
		{"wrong-key", Auth{Sign: &k1}, Auth{Sign: &k2}, false},
		{"unsigned-peer", Auth{Sign: &k1}, Auth{}, false},
		{"accept-bad", Auth{Sign: &k1, AcceptBad: true}, Auth{Sign: &k2, AcceptBad: true}, true},
		{"rotation", Auth{Sign: &k2, Accept: []wire.Key{k1}}, Auth{Sign: &k1, Accept: []wire.Key{k2}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			a := s.node("a", Config{Auth: tc.a, Xroutes: []Xroute{xr("2001:db8:a::/48")}})
			b := s.node("b", Config{Auth: tc.b, Xroutes: []Xroute{xr("2001:db8:b::/48")}})
			s.connect(a, b, Tunnel)
			s.run(20 * time.Second)
			got := a.kernelHas("2001:db8:b::/48") && b.kernelHas("2001:db8:a::/48")
			if got != tc.routes {
				t.Fatalf("routes %v, want %v\na:\n%sb:\n%s", got, tc.routes, a.kern, b.kern)
			}
			if !tc.routes && (len(a.c.neighs) != 0 || len(b.c.neighs) != 0) && tc.a.Sign != nil && tc.b.Sign != nil {
				t.Errorf("wrong key created neighbours")
			}
		})
	}
}

func TestMalformedCounted(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	b := s.node("b", Config{})
	s.connect(a, b, Tunnel)
	a.c.now = s.now
	a.c.receive(Datagram{Ifindex: 1, Src: ll(2, 1), Dst: wire.Group, Data: []byte{42, 2, 0, 3, 8, 0xff, 0}})
	a.c.receive(Datagram{Ifindex: 1, Src: ll(2, 1), Dst: wire.Group, Data: []byte{1, 2, 3}})
	a.c.receive(Datagram{Ifindex: 1, Src: netip.MustParseAddr("2001:db8::1"), Dst: wire.Group, Data: []byte{42, 2, 0, 0}})
	st := a.c.stats
	if st.Drops[wire.DropTruncated] != 1 || st.BadPackets != 2 {
		t.Errorf("stats: %+v", st)
	}
}
