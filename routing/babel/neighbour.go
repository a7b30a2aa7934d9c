package babel

import (
	"net/netip"
	"time"

	"re6st-tui/routing/babel/wire"
)

const inf = wire.Infinity

// history is one Hello history (multicast or unicast) of a neighbour (§3.1).
type history struct {
	reach    uint16
	expected uint16 // seqno of the last Hello accounted for
	have     bool   // expected is meaningful
	interval uint16 // cs, of the last scheduled Hello
	time     time.Time
}

// hello accounts for a received Hello; it reports whether reach changed.
func (h *history) hello(now time.Time, seqno, interval uint16) {
	if h.have && h.reach != 0 {
		d := int(int16(seqno - h.expected - 1))
		switch {
		case d < -8: // the sender restarted
			h.reach = 0
		case d < 0:
			h.reach <<= uint(-d)
		case d > 0:
			h.reach = shift(h.reach, d)
		}
	}
	h.reach = h.reach>>1 | 0x8000
	h.expected, h.have = seqno, true
	if interval != 0 || h.interval == 0 {
		// Before the first scheduled Hello, time dates the unscheduled ones.
		h.interval, h.time = interval, now
	}
}

func shift(r uint16, n int) uint16 {
	if n >= 16 {
		return 0
	}
	return r >> uint(n)
}

// check accounts for missed Hellos: one counts as missing 1.7 intervals after
// the previous one. Unscheduled Hellos (interval 0) heard before any
// scheduled one count until grace has passed: babeld sends one with its
// first IHU to a new neighbour. It reports whether reach changed.
func (h *history) check(now time.Time, grace time.Duration) bool {
	if !h.have || h.reach == 0 {
		return false
	}
	if h.interval == 0 {
		if now.Sub(h.time) < grace {
			return false
		}
		h.reach = 0
		return true
	}
	iv := fromCS(h.interval)
	missed := int((now.Sub(h.time) - iv*7/10) / iv)
	if missed <= 0 {
		return false
	}
	h.reach = shift(h.reach, missed)
	h.expected += uint16(missed)
	h.time = h.time.Add(time.Duration(missed) * iv)
	return true
}

// twoThree reports whether 2 of the last 3 Hellos arrived.
func twoThree(r uint16) bool {
	switch r & 0xC000 {
	case 0xC000:
		return true
	case 0:
		return false
	}
	return r&0x2000 != 0
}

// neighbour is (interface, link-local address).
type neighbour struct {
	ifc  *iface
	addr netip.Addr
	hist [2]history // multicast, unicast
	// lastMulticast is when the last scheduled multicast Hello arrived
	// (when the entry was made, before the first one).
	lastMulticast time.Time
	// created is when the entry was made: an entry made for a challenge
	// (RFC 8967) lives until the neighbour's first Hello can arrive.
	created time.Time

	txcost      uint16
	ihuTime     time.Time
	ihuInterval uint16
	haveIHU     bool

	// RTT state (RFC 9616).
	helloTS     uint32 // the neighbour's last Hello timestamp
	helloRecv   uint32 // our clock when it arrived
	helloTSTime time.Time
	rtt         uint32 // µs, smoothed
	rttTime     time.Time

	// multiplier scales the cost: 256 = 1; 0 = unusable (re6st's tunnel killer).
	multiplier uint16
	// cost is the last computed cost, to detect changes.
	cost uint16

	uSeqno uint16 // our unicast Hello seqno towards it
	out    outbox // unicast buffer
	auth   peerAuth
	// usable is set once the link is bidirectional, for the new-neighbour dump.
	usable bool
	// Wildcard Route Requests sent to it: how many, and the last one's time.
	asks    int
	askedAt time.Time
}

// helloGrace is how long an unscheduled Hello counts before a scheduled one
// arrives: two of the neighbour's Hello intervals, known from its IHU
// interval (three Hello intervals), else two of ours.
func (n *neighbour) helloGrace() time.Duration {
	if n.haveIHU && n.ihuInterval != 0 {
		return 2 * fromCS(n.ihuInterval) / 3
	}
	return 2 * n.ifc.Hello
}

// heard reports whether a Hello of the neighbour's, unicast or multicast,
// is in its recent history.
func (n *neighbour) heard() bool { return n.hist[0].reach != 0 || n.hist[1].reach != 0 }

// rxcost is what we announce in our IHU (non-LQ rule of §3.2).
func (n *neighbour) rxcost(now time.Time) uint16 {
	stale := func(h *history) bool {
		return h.reach&0xFFF0 == 0 || h.time.IsZero() || now.Sub(h.time) >= 180*time.Second
	}
	if stale(&n.hist[0]) && stale(&n.hist[1]) {
		return inf
	}
	if twoThree(n.hist[0].reach) || twoThree(n.hist[1].reach) {
		return n.ifc.RxCost
	}
	return inf
}

// rttCost is the RTT penalty of §3.3.
func (n *neighbour) rttCost(now time.Time) uint32 {
	p := n.ifc.RTT
	if n.ifc.Kind != Tunnel || p.MaxPenalty == 0 || n.rttTime.IsZero() || now.Sub(n.rttTime) > 180*time.Second {
		return 0
	}
	rtt := time.Duration(n.rtt) * time.Microsecond
	switch {
	case rtt <= p.Min:
		return 0
	case rtt <= p.Max:
		return uint32(uint64(p.MaxPenalty) * uint64(rtt-p.Min) / uint64(p.Max-p.Min))
	}
	return uint32(p.MaxPenalty)
}

// computeCost is the link cost: txcost + rttcost, scaled by the multiplier.
func (n *neighbour) computeCost(now time.Time) uint16 {
	if !n.ifc.up || n.multiplier == 0 {
		return inf
	}
	if n.txcost >= inf || n.rxcost(now) >= inf {
		return inf
	}
	c := (uint64(n.txcost) + uint64(n.rttCost(now))) * uint64(n.multiplier) / 256
	return uint16(min(c, inf))
}

// rttSample folds one RTT sample into the smoothed RTT.
func (n *neighbour) rttSample(now time.Time, t1, t2, t3, t4 uint32) {
	if t1 == 0 || t2 == 0 || t3 == 0 {
		return
	}
	remote, local := int32(t3-t2), int32(t4-t1)
	const window = 600 * 1000 * 1000
	if remote < 0 || local < 0 || remote > window || local > window {
		return
	}
	sample := uint32(max(local-remote, 0))
	decay := uint64(n.ifc.RTT.Decay)
	if n.rttTime.IsZero() || now.Sub(n.rttTime) > 180*time.Second {
		n.rtt = 2 * sample
	} else {
		v := decay*uint64(sample) + (256-decay)*uint64(n.rtt)
		if n.rtt < sample {
			v += 255 // round up towards the sample
		}
		n.rtt = uint32(v / 256)
	}
	n.rttTime = now
}

// resetTxcost expires the txcost when IHUs stop (§3.2).
func (n *neighbour) resetTxcost(now time.Time) bool {
	if n.txcost >= inf {
		return false
	}
	delay := now.Sub(n.ihuTime)
	iv := fromCS(n.ihuInterval)
	if n.haveIHU && n.ihuInterval != 0 && delay < 3*iv {
		return false
	}
	if delay >= 180*time.Second || (n.ihuInterval != 0 && delay >= 10*iv) || n.hist[0].reach&0xFFF0 == 0 {
		n.txcost = inf
		return true
	}
	return false
}
