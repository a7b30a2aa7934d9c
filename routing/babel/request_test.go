package babel

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
)

// hasSeqnoRequest reports whether the datagram carries a Seqno Request.
func hasSeqnoRequest(d Datagram) bool {
	p, err := wire.Decode(d.Data)
	if err != nil {
		return false
	}
	for _, t := range p.TLVs {
		if _, ok := t.(wire.SeqnoRequest); ok {
			return true
		}
	}
	return false
}

// requestChain is x — c — b — a with a direct a — x link; b prefers c
// towards x. It returns the nodes and the a — x link.
func requestChain(t *testing.T) (s *sim, a, b, c, x *simNode, ax *simLink) {
	s = newSim(t)
	x = s.node("x", Config{Xroutes: []Xroute{xr("2001:db8:10::/48")}})
	c = s.node("c", Config{})
	b = s.node("b", Config{})
	a = s.node("a", Config{})
	s.connect(x, c, Tunnel)
	s.connect(c, b, Tunnel)
	s.connect(b, a, Tunnel)
	ax = s.connect(a, x, Tunnel)
	// b's link to a costs twice as much, so b goes through c.
	b.c.now = s.now
	if err := b.c.setMultiplier("b-a", ll(s.index(a), 1), 512); err != nil {
		t.Fatal(err)
	}
	return s, a, b, c, x, ax
}

// A route lost over a silently dead link: the alternative is unfeasible,
// so a asks for a new seqno, and the first request forwarded by b is lost.
// Before requests were resent, and while b took any copy of a request it
// had forwarded for a duplicate for 65 s, a stayed without a route for over
// a minute.
func TestLostRouteRequestIsResent(t *testing.T) {
	s, a, b, c, x, ax := requestChain(t)
	xAddr := netip.MustParseAddr("2001:db8:10::1")
	s.runUntil(20*time.Second, "a's direct route", func() bool { return s.nextHop(a, xAddr) == x })
	s.runUntil(20*time.Second, "b's route via c", func() bool { return s.nextHop(b, xAddr) == c })
	s.run(time.Minute)

	lost := 0
	var asked []time.Time // a's Seqno Requests
	s.lose = func(from *simNode, d Datagram) bool {
		if from == a && hasSeqnoRequest(d) && d.Dst != ll(s.index(x), 2) {
			asked = append(asked, s.now)
		}
		if from == b && lost == 0 && d.Dst == ll(s.index(c), 2) && hasSeqnoRequest(d) {
			lost++
			return true
		}
		return false
	}
	ax.drop = true
	s.runUntil(time.Minute, "a loses its direct route", func() bool { return s.nextHop(a, xAddr) != x })
	took := s.runUntil(2*time.Minute, "a's route via b", func() bool { return s.nextHop(a, xAddr) == b })
	t.Logf("a without a route for %v (lost requests: %d)", took, lost)
	if lost != 1 {
		t.Fatalf("%d forwarded requests lost, want 1: the scenario did not happen", lost)
	}
	if took > 5*time.Second {
		t.Errorf("a was without a route for %v of simulated time, want a few seconds at most", took)
	}
	var offsets []time.Duration
	for _, at := range asked {
		offsets = append(offsets, at.Sub(asked[0]).Round(50*time.Millisecond))
	}
	want := []time.Duration{0, 250 * time.Millisecond, 750 * time.Millisecond, 1750 * time.Millisecond}
	if !slices.Equal(offsets, want) {
		t.Errorf("a's requests at %v, want at %v", offsets, want)
	}
}

// queuedRequests takes the Seqno Requests queued for n.
func queuedRequests(n *neighbour) []wire.SeqnoRequest {
	var rs []wire.SeqnoRequest
	for _, t := range n.out.tlvs {
		if r, ok := t.(wire.SeqnoRequest); ok {
			rs = append(rs, r)
		}
	}
	n.out = outbox{}
	return rs
}

func (n *simNode) neighbourOn(t *testing.T, ifname string) *neighbour {
	t.Helper()
	for _, nb := range n.c.neighs {
		if nb.ifc.Name == ifname {
			return nb
		}
	}
	t.Fatalf("%s has no neighbour on %s", n.name, ifname)
	return nil
}

// A forwarded request is a duplicate for about a second and only towards
// the neighbour it was forwarded to.
func TestForwardedRequestDuplicates(t *testing.T) {
	s, a, b, c, x, _ := requestChain(t)
	xAddr := netip.MustParseAddr("2001:db8:10::1")
	s.runUntil(20*time.Second, "b's route via c", func() bool { return s.nextHop(b, xAddr) == c && s.nextHop(a, xAddr) == x })
	s.run(10 * time.Second)
	k := makeKey(netip.MustParsePrefix("2001:db8:10::/48"), netip.MustParsePrefix("::/0"))
	fromA, toC := b.neighbourOn(t, "b-a"), b.neighbourOn(t, "c-b")
	seq := b.c.routes[k].installed.seqno + 1
	req := wire.SeqnoRequest{Seqno: seq, HopCount: 100, RouterID: x.c.cfg.RouterID, Prefix: k.dst(), Src: k.src()}
	deliver := func(from *neighbour, after time.Duration) {
		s.now = s.now.Add(after)
		b.c.now = s.now
		queuedRequests(fromA)
		queuedRequests(toC)
		b.c.handleSeqnoRequest(from, req)
	}
	steps := []struct {
		name         string
		from         *neighbour
		after        time.Duration
		wantA, wantC int
	}{
		{"first", fromA, 0, 0, 1},
		{"resent-after-250ms", fromA, 250 * time.Millisecond, 0, 0},
		{"resent-after-1.1s", fromA, 850 * time.Millisecond, 0, 1},
		{"from-c-towards-a", toC, 100 * time.Millisecond, 1, 0},
	}
	for _, st := range steps {
		deliver(st.from, st.after)
		gotA, gotC := len(queuedRequests(fromA)), len(queuedRequests(toC))
		if gotA != st.wantA || gotC != st.wantC {
			t.Errorf("%s: forwarded %d towards a and %d towards c, want %d and %d", st.name, gotA, gotC, st.wantA, st.wantC)
		}
	}
}

// A request of ours that comes back to us round a loop is not forwarded.
func TestOwnRequestNotForwardedAgain(t *testing.T) {
	for _, ours := range []bool{false, true} {
		s, a, _, _, x, _ := requestChain(t)
		xAddr := netip.MustParseAddr("2001:db8:10::1")
		s.runUntil(20*time.Second, "a's route via x", func() bool { return s.nextHop(a, xAddr) == x })
		s.run(10 * time.Second)
		k := makeKey(netip.MustParsePrefix("2001:db8:10::/48"), netip.MustParsePrefix("::/0"))
		seq := a.c.routes[k].installed.seqno + 1
		rid := x.c.cfg.RouterID
		a.c.now = s.now
		if ours {
			a.c.own[k] = &ownRequest{rid: rid, seqno: seq, first: s.now, last: s.now}
		}
		toX := a.neighbourOn(t, "a-x")
		queuedRequests(toX)
		a.c.handleSeqnoRequest(a.neighbourOn(t, "b-a"), wire.SeqnoRequest{Seqno: seq, HopCount: 120, RouterID: rid, Prefix: k.dst(), Src: k.src()})
		if got := len(queuedRequests(toX)); got != map[bool]int{false: 1, true: 0}[ours] {
			t.Errorf("our own request pending %v: forwarded %d times", ours, got)
		}
	}
}
