package babel

import (
	"net/netip"
	"time"

	"re6st-tui/routing/babel/wire"
)

// isLinkLocal64 reports whether a is in fe80::/64, the only source babeld accepts.
func isLinkLocal64(a netip.Addr) bool {
	if !a.Is6() || a.Is4In6() {
		return false
	}
	b := a.As16()
	return b[0] == 0xfe && b[1] == 0x80 && b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0
}

// receive processes one datagram (§2.7).
func (c *core) receive(d Datagram) {
	c.stats.RxPackets++
	ifc := c.ifaces[d.Ifindex]
	d.Src = d.Src.WithZone("")
	if ifc == nil || !ifc.up || d.Src == ifc.LinkLocal {
		return
	}
	if !isLinkLocal64(d.Src) {
		c.stats.BadPackets++
		return
	}
	p, err := wire.Decode(d.Data)
	if err != nil {
		c.stats.BadPackets++
		return
	}
	for _, dr := range p.Drops {
		c.stats.Drops[dr.Reason]++
	}
	n := c.neighs[neighKey{ifc.Index, d.Src}]
	if c.keyed() {
		var ok bool
		if n, ok = c.authenticate(ifc, n, d, p); !ok {
			return
		}
	} else if n == nil {
		n = c.addNeighbour(ifc, d.Src)
	}
	c.process(n, d, p)
}

func (c *core) process(n *neighbour, d Datagram, p *wire.Packet) {
	recvTS := c.timestamp()
	if !d.At.IsZero() && d.At.Before(c.now) {
		recvTS = c.timestampAt(d.At)
	}
	var helloTS, origin, receive uint32
	haveIHUTS := false
	for _, t := range p.TLVs {
		switch t := t.(type) {
		case wire.Hello:
			c.hello(n, t, recvTS)
			if t.HasTimestamp {
				helloTS = t.Timestamp
			}
		case wire.IHU:
			if t.Addr.IsValid() && t.Addr.WithZone("") != n.ifc.LinkLocal {
				continue // about someone else
			}
			n.txcost, n.ihuTime, n.ihuInterval, n.haveIHU = t.RxCost, c.now, t.Interval, true
			if t.RxCost >= inf && n.hist[0].reach != 0 {
				// It hears too few of our Hellos yet: one more now saves an interval.
				c.feedbackHello(n.ifc)
			}
			if t.HasTimestamp {
				origin, receive, haveIHUTS = t.Origin, t.Receive, true
			}
		case wire.Update:
			c.handleUpdate(n, t)
		case wire.RouteRequest:
			c.handleRouteRequest(n, t)
		case wire.SeqnoRequest:
			c.handleSeqnoRequest(n, t)
		case wire.AckRequest:
			c.unicastTLV(n, wire.Ack{Nonce: t.Nonce}, true)
		}
	}
	if helloTS != 0 && haveIHUTS {
		n.rttSample(c.now, origin, receive, helloTS, recvTS)
	}
	if n.asks == 0 && n.txcost >= inf && n.heard() {
		// A new neighbour that does not hear us yet: ask for its table now,
		// so that its routes are there when the link starts to work.
		c.askTable(n)
	}
	c.updateCost(n)
}

func (c *core) addNeighbour(ifc *iface, addr netip.Addr) *neighbour {
	k := neighKey{ifc.Index, addr}
	m, ok := c.multipliers[k]
	if !ok {
		m = 256
	}
	n := &neighbour{ifc: ifc, addr: addr, txcost: inf, cost: inf, multiplier: m, ihuTime: c.now,
		created: c.now, lastMulticast: c.now}
	c.neighs[k] = n
	c.emitNeighbour(n, NeighbourAdded)
	return n
}

func (c *core) hello(n *neighbour, h wire.Hello, recvTS uint32) {
	slot := 0
	if h.Flags&wire.HelloUnicast != 0 {
		slot = 1
	}
	fresh := n.hist[slot].reach == 0
	before := n.rxcost(c.now)
	n.hist[slot].hello(c.now, h.Seqno, h.Interval)
	if n.rxcost(c.now) != before {
		// Tell the neighbour at once that the link works (or stopped working).
		c.queueIHU(n, urgentTLV)
	}
	if slot == 0 && h.Interval != 0 {
		n.lastMulticast = c.now
	}
	if h.HasTimestamp && h.Timestamp != 0 {
		n.helloTS, n.helloRecv, n.helloTSTime = h.Timestamp, recvTS, c.now
	}
	if fresh && slot == 0 {
		c.feedbackHello(n.ifc) // early feedback to a new neighbour
	}
}

// updateCost recomputes n's link cost and re-runs selection on change.
func (c *core) updateCost(n *neighbour) {
	cost := n.computeCost(c.now)
	if cost == n.cost {
		return
	}
	c.log.Debug("babel: neighbour cost", "peer", n.addr, "iface", n.ifc.Name, "cost", cost)
	c.changeVia(n, func() { n.cost = cost })
	if cost < inf && !n.usable {
		// A new usable neighbour: ask for its table (unless done when it
		// appeared) and give it ours.
		n.usable = true
		if n.asks == 0 {
			c.askTable(n)
		}
		n.ifc.mc.full = true
		n.ifc.mc.schedule(c.now.Add(c.roughly(urgentUpdate)))
	}
	c.emitNeighbour(n, NeighbourChanged)
}

// checkNeighbours accounts for missed Hellos and IHUs, and flushes dead neighbours.
func (c *core) checkNeighbours() {
	for k, n := range c.neighs {
		n.hist[0].check(c.now, n.helloGrace())
		n.hist[1].check(c.now, n.helloGrace())
		// A neighbour that has not sent a Hello yet keeps its entry (and
		// the authentication state it may hold) for two Hello intervals.
		silent := n.hist[0].reach == 0 && c.now.Sub(n.created) > 2*n.ifc.Hello
		if silent || c.now.Sub(n.lastMulticast) > 300*time.Second {
			c.flushNeighbour(k, n)
			continue
		}
		n.resetTxcost(c.now)
		c.updateCost(n)
		c.askAgain(n)
	}
}

// maxAsks bounds the wildcard Route Requests sent to one neighbour.
const maxAsks = 4

func (c *core) askTable(n *neighbour) {
	n.asks++
	n.askedAt = c.now
	c.unicastTLV(n, wire.RouteRequest{}, true)
}

// askAgain asks a neighbour that does not say it hears us once more, a
// second after the last request: babeld answers a wildcard Route Request
// with an IHU at once, but otherwise tells a new neighbour that it hears it
// only every third Hello. (It answers with its table only 40 s after its
// last full update, which with Hellos under 10 s means never.)
func (c *core) askAgain(n *neighbour) {
	if n.asks == 0 || n.asks >= maxAsks || n.txcost < inf || !n.heard() || c.now.Sub(n.askedAt) < time.Second {
		return
	}
	c.askTable(n)
}
func (c *core) flushNeighbour(k neighKey, n *neighbour) {
	delete(c.neighs, k)
	c.flushNeighbourRoutes(n) // with the old cost: a finite loss calls for a seqno request
	n.cost = inf
	for rk, p := range c.forwarded {
		if p.from == n {
			delete(c.forwarded, rk)
		}
	}
	c.emitNeighbour(n, NeighbourFlushed)
}

// martian reports prefixes no route may carry (§4.3).
func martian(p netip.Prefix) bool {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		return b[0] == 0 && p.Bits() > 0 || b[0] == 127 || b[0] >= 224 && b[0] < 240 || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	return a.IsMulticast() || a.IsLinkLocalUnicast() || (p.Bits() == 128 && (a.IsUnspecified() || a.IsLoopback()))
}

func (c *core) handleUpdate(n *neighbour, u wire.Update) {
	if u.Wildcard() {
		c.retractNeighbour(n)
		return
	}
	if u.HasRouterID && u.RouterID == c.cfg.RouterID {
		c.stats.OwnUpdates++
		return
	}
	if martian(u.Prefix) || (u.Src.Bits() > 0 && martian(u.Src)) {
		c.stats.Martians++
		return
	}
	if !c.accepted(u.Prefix, u.Src) {
		c.stats.Filtered++
		return
	}
	k := makeKey(u.Prefix, u.Src)
	e := c.routes[k]
	var r *route
	if e != nil {
		for _, x := range e.routes {
			if x.neigh == n {
				r = x
			}
		}
	}
	if u.Metric >= inf {
		if r != nil && r.refmetric < inf {
			old, oldRoute := c.stateOf(e), e.installed
			r.refmetric = inf
			c.reselect(k, e, old, oldRoute)
		}
		return
	}
	if e == nil {
		e = newEntry()
		c.routes[k] = e
	}
	s := c.addSource(e, u.RouterID, u.Seqno)
	feasible := s.feasible(c.now, u.Seqno, u.Metric)
	old, oldRoute := c.stateOf(e), e.installed
	if r == nil {
		r = c.newRoute(e, n)
	}
	if !feasible && e.installed == r && r.rid != u.RouterID {
		e.installed = nil // a successor switching sources unfeasibly: uninstall
	}
	r.rid, r.seqno, r.refmetric = u.RouterID, u.Seqno, u.Metric
	r.nexthop = u.NextHop
	r.time, r.hold = c.since(), holdTime(u.Interval)
	if r.smoothed < 0 {
		r.smoothed = max(float64(c.metric(r)), 32767)
	}
	c.reselect(k, e, old, oldRoute)
	if !feasible {
		c.unfeasibleRequest(n, k, u, s, e)
	}
}

// unfeasibleRequest asks the sender of an unfeasible update for a newer
// seqno when we need one (§4.6), at most once per second per source.
func (c *core) unfeasibleRequest(n *neighbour, k routeKey, u wire.Update, s *source, e *entry) {
	if int16(s.seqno-u.Seqno) > 100 {
		return // hopelessly behind: wait for the source to age out
	}
	need := e.installed == nil || c.metric(e.installed) >= u.Metric+512 && u.Metric+512 > u.Metric
	if !need {
		return
	}
	seq := s.seqno + 1
	if s.metric >= inf {
		seq = s.seqno
	}
	if !c.rateLimitRequest(sourceKey{u.RouterID, k}, seq) {
		return
	}
	c.requestSeqno(k, u.RouterID, seq, n)
}

// feedbackHello schedules an extra Hello soon. Triggers are bounded: a
// new neighbour, or an IHU saying it missed our Hellos (one per its Hello).
func (c *core) feedbackHello(ifc *iface) {
	if ifc.feedback.IsZero() && c.now.Sub(ifc.lastFeedback) >= 50*time.Millisecond {
		ifc.feedback = c.now.Add(c.roughly(50 * time.Millisecond))
		ifc.lastFeedback = c.now
	}
}
