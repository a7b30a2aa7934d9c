package babel

import (
	"net/netip"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
)

// packet encodes TLVs as one datagram from src to dst on interface 1.
func packet(t *testing.T, src, dst netip.Addr, tlvs ...wire.TLV) Datagram {
	t.Helper()
	w := wire.NewWriter(1400)
	for _, tlv := range tlvs {
		if err := w.Add(tlv); err != nil {
			t.Fatal(err)
		}
	}
	return Datagram{Ifindex: 1, Src: src, Dst: dst, Data: w.Bytes(nil)}
}

// babeld answers our wildcard request to a new neighbour with an IHU and,
// on a link with timestamps, an unscheduled Hello (interval 0) in front of
// it. That Hello counts: with the next scheduled one, 2 of the last 3
// Hellos arrived, and the link is usable one Hello interval earlier.
func TestUnscheduledHelloCounts(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	s.connect(a, s.node("b", Config{}), Tunnel)
	peer, us := ll(9, 1), ll(1, 1)
	at := func(d time.Duration, tlvs ...wire.TLV) {
		s.now = s.now.Add(d)
		a.c.tick(s.now)
		a.c.receive(packet(t, peer, wire.Group, tlvs...))
	}
	at(0, wire.Hello{Seqno: 10, Interval: 0}, wire.IHU{RxCost: inf, Interval: 1200, Addr: us})
	k := neighKey{1, peer}
	n := a.c.neighs[k]
	if n == nil {
		t.Fatal("no neighbour after its Hello")
	}
	for range 10 { // neighbour checks run meanwhile
		s.now = s.now.Add(350 * time.Millisecond)
		a.c.tick(s.now)
	}
	at(500*time.Millisecond, wire.Hello{Seqno: 11, Interval: 400})
	if got := n.rxcost(s.now); got != 96 {
		t.Errorf("rxcost after an unscheduled and a scheduled Hello: %d (reach %04x), want 96", got, n.hist[0].reach)
	}
}

// An unscheduled Hello alone does not keep a neighbour's reach for ever.
func TestUnscheduledHelloExpires(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	s.connect(a, s.node("b", Config{}), Tunnel)
	peer := ll(9, 1)
	a.c.now = s.now
	a.c.receive(packet(t, peer, wire.Group, wire.Hello{Seqno: 10, Interval: 0}))
	s.now = s.now.Add(time.Minute)
	a.c.tick(s.now)
	if n := a.c.neighs[neighKey{1, peer}]; n != nil && n.hist[0].reach != 0 {
		t.Errorf("reach %04x a minute after a lone unscheduled Hello", n.hist[0].reach)
	}
}

// A new neighbour that does not hear us yet is asked for its table at once
// (babeld ignores wildcard requests for a while after a full update, so
// waiting until the link works can cost a whole update interval).
func TestNewNeighbourAskedForItsTable(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	s.connect(a, s.node("b", Config{}), Tunnel)
	peer := ll(9, 1)
	s.run(time.Second) // a's start-up wildcard request is gone
	a.c.now = s.now
	a.c.receive(packet(t, peer, wire.Group, wire.Hello{Seqno: 10, Interval: 400}))
	n := a.c.neighs[neighKey{1, peer}]
	wildcards := 0
	for _, tlv := range n.out.tlvs {
		if r, ok := tlv.(wire.RouteRequest); ok && r.Wildcard() {
			wildcards++
		}
	}
	if wildcards != 1 {
		t.Errorf("%d wildcard requests queued for a new neighbour, want 1: %+v", wildcards, n.out.tlvs)
	}
	a.c.receive(packet(t, peer, wire.Group, wire.Hello{Seqno: 11, Interval: 400}))
	for _, tlv := range n.out.tlvs {
		if r, ok := tlv.(wire.RouteRequest); ok && r.Wildcard() {
			wildcards--
		}
	}
	if wildcards != 0 {
		t.Errorf("more requests after its second Hello: %+v", n.out.tlvs)
	}
}

// babeld tells a new neighbour that it hears it only every third Hello, but
// answers a wildcard request with an IHU at once: a neighbour we hear that
// has not said it hears us is asked again each second, a few times at most.
func TestSilentNeighbourAskedAgain(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	s.connect(a, s.node("b", Config{}), Tunnel)
	peer, us := ll(9, 1), ll(1, 1)
	s.run(time.Second) // a's start-up wildcard request is gone
	var asked []time.Duration
	start := s.now
	s.lose = func(from *simNode, d Datagram) bool {
		if p, err := wire.Decode(d.Data); err == nil && from == a && d.Dst == peer {
			for _, tlv := range p.TLVs {
				if r, ok := tlv.(wire.RouteRequest); ok && r.Wildcard() {
					asked = append(asked, s.now.Sub(start))
				}
			}
		}
		return false
	}
	hello := func(seqno uint16, ihu uint16) {
		a.c.now = s.now
		a.c.receive(packet(t, peer, wire.Group, wire.Hello{Seqno: seqno, Interval: 400},
			wire.IHU{RxCost: ihu, Interval: 1200, Addr: us}))
	}
	hello(1, inf)
	s.run(500 * time.Millisecond)
	hello(2, inf)
	s.run(10 * time.Second)
	if len(asked) != maxAsks {
		t.Fatalf("asked at %v, want %d requests", asked, maxAsks)
	}
	for i := 1; i < len(asked); i++ {
		// A request leaves within a jitter of being queued.
		if gap := asked[i] - asked[i-1]; gap < 700*time.Millisecond || gap > 1500*time.Millisecond {
			t.Errorf("requests at %v: a gap of %v, want a second", asked, gap)
		}
	}

	// One that says it hears us is not asked again.
	peer = ll(9, 2)
	asked = nil
	start = s.now
	hello(1, inf)
	s.run(500 * time.Millisecond)
	hello(2, 96)
	s.run(10 * time.Second)
	if len(asked) != 1 {
		t.Errorf("a neighbour that hears us asked at %v, want once", asked)
	}
}

// The receive time of an RTT sample is when the packet left the socket, not
// when the speaker got round to it.
func TestRTTUsesSocketTime(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{})
	s.connect(a, s.node("b", Config{}), Tunnel)
	peer, us := ll(9, 1), ll(1, 1)
	a.c.now = s.now
	a.c.receive(packet(t, peer, wire.Group, wire.Hello{Seqno: 1, Interval: 400}))
	sent := s.now // a's Hello the peer echoes
	// The peer held our Hello 1 ms; the packet reached our socket 11 ms
	// after we sent, and was processed 50 ms after that.
	d := packet(t, peer, wire.Group, wire.Hello{Seqno: 2, Interval: 400, HasTimestamp: true, Timestamp: 5000},
		wire.IHU{RxCost: 96, Interval: 1200, Addr: us, HasTimestamp: true, Origin: a.c.timestampAt(sent), Receive: 4000})
	d.At = sent.Add(11 * time.Millisecond)
	a.c.now = d.At.Add(50 * time.Millisecond)
	a.c.receive(d)
	n := a.c.neighs[neighKey{1, peer}]
	// babeld's rule: the first sample counts double.
	if got, want := time.Duration(n.rtt)*time.Microsecond, 20*time.Millisecond; got != want {
		t.Errorf("rtt %v, want %v", got, want)
	}
}

// An IHU that echoes a timestamp leaves with a timestamped Hello in its
// packet, or the neighbour cannot use it for an RTT sample: an unscheduled
// multicast Hello, or in a unicast packet a unicast one (as babeld).
func TestIHUHasACompanionHello(t *testing.T) {
	for _, unicast := range []bool{false, true} {
		s := newSim(t)
		a, b := s.node("a", Config{}), s.node("b", Config{})
		s.connect(a, b, Tunnel)
		s.run(10 * time.Second)
		var sent []*wire.Packet
		s.lose = func(from *simNode, d Datagram) bool {
			if p, err := wire.Decode(d.Data); err == nil && from == a && d.Dst.IsMulticast() != unicast {
				sent = append(sent, p)
			}
			return false
		}
		n := a.neighbourOn(t, "a-b")
		a.c.now = s.now
		if unicast {
			a.c.unicastTLV(n, wire.RouteRequest{Prefix: netip.MustParsePrefix("2001:db8::/32"), Src: netip.MustParsePrefix("::/0")}, false)
		}
		a.c.queueIHU(n, urgentTLV)
		a.next = a.c.nextDeadline()
		s.run(2 * time.Second)
		found := false
		for _, p := range sent {
			var hello *wire.Hello
			for _, tlv := range p.TLVs {
				switch tlv := tlv.(type) {
				case wire.Hello:
					hello = &tlv
				case wire.IHU:
					if !tlv.HasTimestamp || hello == nil || !hello.HasTimestamp {
						t.Fatalf("unicast %v: IHU without a timestamped Hello before it: %+v", unicast, p.TLVs)
					}
					if hello.Interval == 0 {
						found = true
						if (hello.Flags&wire.HelloUnicast != 0) != unicast {
							t.Errorf("unicast %v: companion Hello flags %#x", unicast, hello.Flags)
						}
					}
				}
			}
		}
		if !found {
			t.Errorf("unicast %v: no IHU with an unscheduled Hello among %d packets", unicast, len(sent))
		}
	}
}
