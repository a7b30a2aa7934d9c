package babel

import (
	"slices"
	"time"

	"re6st-tui/routing/babel/wire"
)

// pendingRequest is a Seqno Request we forwarded (§4.6). It makes the
// update that answers it urgent for requestLifetime (babeld's 65 s), but
// counts as a duplicate only for duplicateWindow and only towards the same
// neighbour: a requester that resends because the first copy was lost
// further on must get through.
type pendingRequest struct {
	rid   wire.RouterID
	seqno uint16
	from  *neighbour
	to    *neighbour
	time  time.Time
}

const (
	requestLifetime = 65 * time.Second
	duplicateWindow = time.Second
)

// ownRequest is a Seqno Request we originated for a route we lost. It is
// resent at +250 ms, +750 ms and +1.75 s while the route stays lost, each
// time to the best neighbour not asked yet (the one asked first may keep
// forwarding it into a dead link), and a copy that comes back to us round
// a loop is not forwarded again.
type ownRequest struct {
	rid     wire.RouterID
	seqno   uint16
	first   time.Time
	last    time.Time
	resends int
	asked   []*neighbour
}

const (
	ownResendBase = 250 * time.Millisecond
	ownResends    = 3
)

// next is when the request is due again: first + 250 ms × (2ⁿ⁺¹ − 1).
func (o *ownRequest) next() time.Time {
	return o.first.Add(ownResendBase * time.Duration(1<<(o.resends+1)-1))
}

type sentRequest struct {
	seqno uint16
	time  time.Time
}

// rateLimitRequest reports whether a Seqno Request for sk/seqno may go out now.
func (c *core) rateLimitRequest(sk sourceKey, seqno uint16) bool {
	if c.sent == nil {
		c.sent = map[sourceKey]sentRequest{}
	}
	if p, ok := c.sent[sk]; ok && p.seqno == seqno && c.now.Sub(p.time) < time.Second {
		return false
	}
	c.sent[sk] = sentRequest{seqno, c.now}
	return true
}

// usable reports whether k has a selected route with a finite metric.
func (c *core) usable(k routeKey) bool {
	e := c.routes[k]
	return e != nil && e.installed != nil && c.metric(e.installed) < inf
}

// requestSeqno sends our own Seqno Request for k to n (or multicast when n
// is nil), and resends it while k has no usable route.
func (c *core) requestSeqno(k routeKey, rid wire.RouterID, seqno uint16, n *neighbour) {
	req := wire.SeqnoRequest{Seqno: seqno, HopCount: 127, RouterID: rid, Prefix: k.dst(), Src: k.src()}
	if n != nil {
		c.unicastTLV(n, req, true)
	} else {
		c.multicastTLV(req, true)
	}
	if c.usable(k) {
		return
	}
	if o := c.own[k]; o != nil && o.rid == rid && o.seqno == seqno && o.resends < ownResends {
		o.last = c.now // already being resent
		o.ask(n)
		return
	}
	o := &ownRequest{rid: rid, seqno: seqno, first: c.now, last: c.now}
	o.ask(n)
	c.own[k] = o
}

func (o *ownRequest) ask(n *neighbour) {
	if n != nil && !slices.Contains(o.asked, n) {
		o.asked = append(o.asked, n)
	}
}

// runOwnRequests resends our requests that are due, and forgets those
// answered or done.
func (c *core) runOwnRequests() {
	for k, o := range c.own {
		if c.usable(k) || (o.resends >= ownResends && c.now.Sub(o.last) >= duplicateWindow) {
			delete(c.own, k)
			continue
		}
		if o.resends >= ownResends || o.next().After(c.now) {
			continue
		}
		o.resends++
		o.last = c.now
		req := wire.SeqnoRequest{Seqno: o.seqno, HopCount: 127, RouterID: o.rid, Prefix: k.dst(), Src: k.src()}
		n := c.nextAsked(k, o)
		if n != nil {
			c.unicastTLV(n, req, true)
		} else {
			c.multicastTLV(req, true)
		}
		o.ask(n)
		c.log.Debug("babel: seqno request resent", "prefix", k.dst(), "source", k.src(), "seqno", o.seqno, "resend", o.resends)
	}
}

// ownRequestsDue is the earliest resend of our own requests.
func (c *core) ownRequestsDue(earlier func(time.Time)) {
	for _, o := range c.own {
		if o.resends < ownResends {
			earlier(o.next())
		} else {
			earlier(o.last.Add(duplicateWindow))
		}
	}
}

// nextAsked is the neighbour with the best finite route to k that o has
// not asked yet, else the best one; nil when there is none.
func (c *core) nextAsked(k routeKey, o *ownRequest) *neighbour {
	e := c.routes[k]
	if e == nil {
		return nil
	}
	var best, fresh *route
	for _, r := range e.routes {
		m := c.metric(r)
		if m >= inf {
			continue
		}
		if best == nil || m < c.metric(best) {
			best = r
		}
		if !slices.Contains(o.asked, r.neigh) && (fresh == nil || m < c.metric(fresh)) {
			fresh = r
		}
	}
	switch {
	case fresh != nil:
		return fresh.neigh
	case best != nil:
		return best.neigh
	}
	return nil
}

// bestNeighbour is the neighbour with the best finite route to k, not
// counting except; nil when there is none.
func (c *core) bestNeighbour(k routeKey, except *neighbour) *neighbour {
	e := c.routes[k]
	if e == nil {
		return nil
	}
	var best *route
	for _, r := range e.routes {
		if r.neigh != except && c.metric(r) < inf && (best == nil || c.metric(r) < c.metric(best)) {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return best.neigh
}

func (c *core) handleRouteRequest(n *neighbour, r wire.RouteRequest) {
	if r.Wildcard() {
		c.queueIHU(n, urgentUpdate)
		n.ifc.mc.full = true
		n.ifc.mc.schedule(c.now.Add(c.roughly(urgentUpdate)))
		return
	}
	k := makeKey(r.Prefix, r.Src)
	n.ifc.mc.addUpdate(k)
	n.ifc.mc.schedule(c.now.Add(c.roughly(urgentUpdate)))
}

func (c *core) handleSeqnoRequest(n *neighbour, r wire.SeqnoRequest) {
	k := makeKey(r.Prefix, r.Src)
	if _, ok := c.xroutes[k]; ok {
		if r.RouterID == c.cfg.RouterID && seqnoNewer(r.Seqno, c.seqno) {
			if r.HopCount > 0 && r.Seqno-c.seqno > 100 {
				return // hopelessly out of date
			}
			// Babel requires at least the requested seqno; +1 is babeld's minimum.
			c.seqno++
			if seqnoNewer(r.Seqno, c.seqno) {
				c.seqno = r.Seqno
			}
			c.log.Debug("babel: seqno request for our route", "prefix", k.dst(), "seqno", c.seqno)
		}
		c.queueUpdate(k, true)
		return
	}
	e := c.routes[k]
	if e != nil && e.installed != nil {
		inst := e.installed
		if inst.rid != r.RouterID || !seqnoNewer(r.Seqno, inst.seqno) {
			c.queueUpdate(k, true)
			return
		}
	}
	if r.HopCount <= 1 || e == nil {
		return
	}
	if o := c.own[k]; o != nil && o.rid == r.RouterID && !seqnoNewer(r.Seqno, o.seqno) && c.now.Sub(o.last) < duplicateWindow {
		return // ours, come back round a loop
	}
	var to *neighbour
	if e.installed != nil && e.installed.neigh != n && c.metric(e.installed) < inf {
		to = e.installed.neigh
	} else {
		to = c.bestNeighbour(k, n)
	}
	if to == nil {
		return
	}
	if p := c.forwarded[k]; p != nil && p.rid == r.RouterID && !seqnoNewer(r.Seqno, p.seqno) &&
		p.to == to && c.now.Sub(p.time) < duplicateWindow {
		return // duplicate
	}
	c.forwarded[k] = &pendingRequest{rid: r.RouterID, seqno: r.Seqno, from: n, to: to, time: c.now}
	r.HopCount--
	c.log.Debug("babel: forward seqno request", "prefix", k.dst(), "peer", to.addr, "seqno", r.Seqno)
	c.unicastTLV(to, r, true)
}

// satisfyForwarded reports whether the new state of k answers a forwarded request.
func (c *core) satisfyForwarded(k routeKey, cur state) bool {
	p := c.forwarded[k]
	if p == nil {
		return false
	}
	if c.now.Sub(p.time) > requestLifetime {
		delete(c.forwarded, k)
		return false
	}
	if cur.present && cur.metric < inf && cur.rid == p.rid && !seqnoNewer(p.seqno, cur.seqno) {
		delete(c.forwarded, k)
		return true
	}
	return false
}
