package trace

import (
	"net/netip"
	"time"
)

// Kind says what answered a probe.
type Kind int

const (
	Lost         Kind = iota // no answer before the timeout
	TimeExceeded             // a router on the way: the hop limit ran out
	Reached                  // the destination: port unreachable or echo reply
	Unreachable              // destination unreachable other than port: the path ends here
)

func (k Kind) String() string {
	return [...]string{"lost", "time-exceeded", "reached", "unreachable"}[k]
}

// Probe is one probe's outcome.
type Probe struct {
	Kind Kind
	From netip.Addr    // who answered; invalid when Lost
	RTT  time.Duration // zero when Lost
	Code int           // ICMPv6 code of an Unreachable answer (0 no route, 1 prohibited, 3 address)
}

// Responder is one address that answered at a hop, with its name once
// reverse DNS found one.
type Responder struct {
	Addr netip.Addr
	Name string
}

// Stats are mtr's per-hop columns over every round so far.
type Stats struct {
	Sent     int
	Received int
	Loss     float64 // percent
	Last     time.Duration
	Avg      time.Duration
	Best     time.Duration
	Worst    time.Duration
}

// Hop is the state of one hop limit, sent on the updates channel each time
// a round of it completes or a name resolves. It is a copy.
type Hop struct {
	TTL        int
	Round      int         // rounds completed, from 1
	Probes     []Probe     // this round's probes, in send order
	Responders []Responder // every address that answered, in first-seen order
	Stats      Stats
	Final      bool // the path ends here (destination reached or unreachable)
}

// Addr returns the address that answered last in the latest round, else
// the first that ever answered, else an invalid Addr.
func (h Hop) Addr() netip.Addr {
	for i := len(h.Probes) - 1; i >= 0; i-- {
		if h.Probes[i].Kind != Lost {
			return h.Probes[i].From
		}
	}
	if len(h.Responders) == 0 {
		return netip.Addr{}
	}
	return h.Responders[0].Addr
}

func (h *Hop) add(p Probe) {
	h.Probes = append(h.Probes, p)
	s := &h.Stats
	s.Sent++
	if p.Kind == Lost {
		s.Loss = 100 * float64(s.Sent-s.Received) / float64(s.Sent)
		return
	}
	s.Received++
	s.Last = p.RTT
	if s.Received == 1 || p.RTT < s.Best {
		s.Best = p.RTT
	}
	if p.RTT > s.Worst {
		s.Worst = p.RTT
	}
	// Running mean, exact for integers of nanoseconds at these counts.
	s.Avg += (p.RTT - s.Avg) / time.Duration(s.Received)
	s.Loss = 100 * float64(s.Sent-s.Received) / float64(s.Sent)
	h.see(p.From)
}

func (h *Hop) see(a netip.Addr) bool {
	for _, r := range h.Responders {
		if r.Addr == a {
			return false
		}
	}
	h.Responders = append(h.Responders, Responder{Addr: a})
	return true
}

func (h Hop) clone() Hop {
	h.Probes = append([]Probe(nil), h.Probes...)
	h.Responders = append([]Responder(nil), h.Responders...)
	return h
}
