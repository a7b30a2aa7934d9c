package babel

import (
	"math"
	"net/netip"
	"slices"
	"time"

	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

// sourceKey is (router-id, dst, src): the key of feasibility distances.
type sourceKey struct {
	rid wire.RouterID
	routeKey
}

// source holds a feasibility distance (§4.2) for one router-id; it lives
// in the entry of its (dst, src).
type source struct {
	rid    wire.RouterID
	seqno  uint16
	metric uint16
	time   time.Time // created, or last advertised with a finite metric
}

// seqnoNewer reports whether a is newer than b (16-bit modular).
func seqnoNewer(a, b uint16) bool { return a != b && (b-a)&0x8000 != 0 }

const sourceStale = 200 * time.Second

// feasible is the feasibility condition; retractions are always feasible.
func (s *source) feasible(now time.Time, seqno, metric uint16) bool {
	if metric >= inf || now.Sub(s.time) > sourceStale {
		return true
	}
	return seqnoNewer(seqno, s.seqno) || (seqno == s.seqno && metric < s.metric)
}

// advertised updates the FD when we announce a finite route from s.
func (s *source) advertised(now time.Time, seqno, metric uint16) {
	if metric >= inf {
		return
	}
	if now.Sub(s.time) > sourceStale || seqnoNewer(seqno, s.seqno) || (seqno == s.seqno && metric < s.metric) {
		s.seqno, s.metric = seqno, metric
	}
	s.time = now
}

// source returns the feasibility distance for rid in e, or nil. The pointer
// is valid until the next call to addSource on e.
func (e *entry) source(rid wire.RouterID) *source {
	for i := range e.sources {
		if e.sources[i].rid == rid {
			return &e.sources[i]
		}
	}
	return nil
}

// addSource returns the feasibility distance for rid in e, creating it.
func (c *core) addSource(e *entry, rid wire.RouterID, seqno uint16) *source {
	if s := e.source(rid); s != nil {
		return s
	}
	e.sources = append(e.sources, source{rid: rid, seqno: seqno, metric: inf, time: c.now})
	return &e.sources[len(e.sources)-1]
}

// route is one neighbour's route to (dst, src).
type route struct {
	rid       wire.RouterID
	neigh     *neighbour
	seqno     uint16
	refmetric uint16
	nexthop   netip.Addr
	// time (of the last finite update) and smoothAt are since the core's
	// epoch (see [core.since]): no pointers for the garbage collector.
	time     time.Duration
	hold     time.Duration
	smoothed float64
	smoothAt time.Duration
}

// entry is everything about one (dst, src). It lives while it has routes,
// an installed route or sources.
type entry struct {
	routes    []*route
	sources   []source
	installed *route
	// kernel is what we put in the kernel for this key, if inKernel.
	kernel   kernel.Route
	inKernel bool
	// Most keys have one route and one source: their room comes with the
	// entry, in one allocation.
	route0  route
	used0   bool
	routes0 [1]*route
	src0    [1]source
}

func holdTime(interval uint16) time.Duration {
	s := int(interval)*4/100 + int(interval)/50
	return time.Duration(max(s, 15)) * time.Second
}

func (c *core) expired(r *route) bool { return c.since()-r.time >= r.hold }

// since is now as a duration since the core's epoch.
func (c *core) since() time.Duration { return c.now.Sub(c.epoch) }

// newEntry makes an entry for a key, with room for one route and one source.
func newEntry() *entry {
	e := &entry{}
	e.routes, e.sources = e.routes0[:0], e.src0[:0]
	return e
}

// newRoute adds a route through n to e.
func (c *core) newRoute(e *entry, n *neighbour) *route {
	r := &route{}
	if !e.used0 {
		// Only once: a pointer to a removed route may still be compared.
		e.used0, r = true, &e.route0
	}
	*r = route{neigh: n, smoothAt: c.since(), smoothed: -1}
	e.routes = append(e.routes, r)
	return r
}

// metric is refmetric + link cost, capped; expired routes are unreachable.
func (c *core) metric(r *route) uint16 {
	if r.refmetric >= inf || c.expired(r) {
		return inf
	}
	return uint16(min(uint32(r.refmetric)+uint32(r.neigh.cost), inf))
}

// smooth returns r's smoothed metric, decaying it towards the current metric.
func (c *core) smooth(r *route) float64 {
	m := float64(c.metric(r))
	dt := c.since() - r.smoothAt
	r.smoothAt = c.since()
	if dt > 0 {
		r.smoothed = m + (r.smoothed-m)*math.Exp2(-float64(dt)/float64(c.cfg.SmoothingHalfLife))
	}
	if math.Abs(r.smoothed-m) < 4 {
		r.smoothed = m
	}
	return r.smoothed
}

func (c *core) feasibleRoute(e *entry, r *route) bool {
	s := e.source(r.rid)
	return s == nil || s.feasible(c.now, r.seqno, r.refmetric)
}

// state is what the rest of the network sees of a key: used to decide on
// triggered updates.
type state struct {
	present bool
	rid     wire.RouterID
	seqno   uint16
	metric  uint16
}

func (c *core) stateOf(e *entry) state {
	if e == nil || e.installed == nil {
		return state{}
	}
	r := e.installed
	return state{true, r.rid, r.seqno, c.metric(r)}
}

// consider re-runs route selection for k (§4.3) and applies its consequences.
func (c *core) consider(k routeKey) {
	if e := c.routes[k]; e != nil {
		c.reselect(k, e, c.stateOf(e), e.installed)
	}
}

// reselect picks the route to install for k; old and oldRoute are what was
// installed before the caller changed the entry.
func (c *core) reselect(k routeKey, e *entry, old state, oldRoute *route) {
	if _, ok := c.xroutes[k]; ok {
		e.installed = nil // we originate it: never install a learned route
	} else {
		var best *route
		var bestSmoothed float64
		for _, r := range e.routes {
			s := c.smooth(r)
			if c.metric(r) >= inf || !c.feasibleRoute(e, r) {
				continue
			}
			if best == nil || s < bestSmoothed || (s == bestSmoothed && c.metric(r) < c.metric(best)) {
				best, bestSmoothed = r, s
			}
		}
		inst := e.installed
		switch {
		case best == nil || best == inst:
		case inst == nil || c.metric(inst) >= inf:
			e.installed = best
		case c.metric(best) <= c.metric(inst) && bestSmoothed < c.smooth(inst):
			e.installed = best
		}
	}
	if e.installed != oldRoute || (e.installed != nil && old.metric != c.metric(e.installed)) {
		c.syncKernel(k, e)
	}
	c.triggered(k, old, c.stateOf(e))
	if len(e.routes) == 0 && e.installed == nil {
		c.dropKernel(k, e)
		if len(e.sources) == 0 {
			delete(c.routes, k)
		}
	}
}

// triggered sends the updates and requests a change of k calls for (§4.4, §4.5).
func (c *core) triggered(k routeKey, old, cur state) {
	if old == cur {
		return
	}
	sent := true
	switch {
	case !old.present && cur.present:
		c.queueUpdate(k, true)
	case old.present && !cur.present:
		c.queueUpdate(k, true)
		c.scheduleResend(k)
		if old.metric < inf && old.metric <= 32767 {
			c.requestLost(k, old)
		}
	case old.rid != cur.rid || (cur.metric >= inf && old.metric < inf):
		c.queueUpdate(k, true)
		c.scheduleResend(k)
	case old.metric < 1536 && int(cur.metric) >= int(old.metric)+512:
		c.queueUpdate(k, true)
	case old.metric >= inf && cur.metric < inf:
		c.queueUpdate(k, false)
	case cur.metric < old.metric && old.metric-cur.metric < 1024:
		sent = false
	case absDiff(cur.metric, old.metric) >= 384 || cur.seqno != old.seqno:
		c.queueUpdate(k, false)
	default:
		sent = false
	}
	if c.satisfyForwarded(k, cur) {
		c.queueUpdate(k, true)
	}
	if sent && old.present && old.metric < inf && int(cur.metric) >= int(old.metric)+288 {
		c.multicastTLV(wire.RouteRequest{Prefix: k.dst(), Src: k.src()}, false)
	}
	if old.present != cur.present || old.metric != cur.metric || old.rid != cur.rid {
		c.emitRoute(k)
	}
}

func absDiff(a, b uint16) uint16 {
	if a > b {
		return a - b
	}
	return b - a
}

// requestLost asks for a newer seqno after losing a finite route (§4.5).
func (c *core) requestLost(k routeKey, old state) {
	e := c.routes[k]
	if e == nil {
		return
	}
	s := e.source(old.rid)
	if s == nil {
		return
	}
	seq := s.seqno + 1
	if s.metric >= inf {
		seq = s.seqno
	}
	c.log.Debug("babel: route lost, seqno request", "prefix", k.dst(), "source", k.src(), "seqno", seq)
	c.requestSeqno(k, old.rid, seq, c.bestNeighbour(k, nil))
}

// retractNeighbour sets every route through n to infinity (wildcard retraction).
func (c *core) retractNeighbour(n *neighbour) {
	c.changeVia(n, func() {
		for _, e := range c.routes {
			for _, r := range e.routes {
				if r.neigh == n {
					r.refmetric = inf
				}
			}
		}
	})
}

// changeVia applies change, which alters routes through n (their metric or
// n's cost), and re-runs selection on every key involved, comparing with
// what was installed before the change.
func (c *core) changeVia(n *neighbour, change func()) {
	keys := c.before[:0]
	for k, e := range c.routes {
		for _, r := range e.routes {
			if r.neigh == n {
				keys = append(keys, before{k, c.stateOf(e), e.installed})
				break
			}
		}
	}
	change()
	for _, b := range keys {
		if e := c.routes[b.k]; e != nil {
			c.reselect(b.k, e, b.st, b.route)
		}
	}
	clear(keys)
	c.before = keys[:0]
}

// before is the state of a key before a change, for changeVia.
type before struct {
	k     routeKey
	st    state
	route *route
}

// flushNeighbourRoutes removes every route through n.
func (c *core) flushNeighbourRoutes(n *neighbour) {
	for k, e := range c.routes {
		for i, r := range e.routes {
			if r.neigh == n {
				c.flushRoute(k, e, i)
				break
			}
		}
	}
}

// flushRoute removes e.routes[i]; losing the installed route triggers §4.5.
func (c *core) flushRoute(k routeKey, e *entry, i int) {
	old, oldRoute := c.stateOf(e), e.installed
	r := e.routes[i]
	e.routes = append(e.routes[:i], e.routes[i+1:]...)
	if e.installed == r {
		e.installed = nil
	}
	c.reselect(k, e, old, oldRoute)
}

// expire flushes routes that went old and GCs sources (§4.3, §4.2).
func (c *core) expire() {
	for k, e := range c.routes {
		for i := 0; i < len(e.routes); {
			r := e.routes[i]
			if c.since()-r.time >= r.hold*7/8 {
				c.flushRoute(k, e, i)
				if c.routes[k] == nil {
					break
				}
				continue
			}
			i++
		}
		if c.routes[k] != nil {
			c.consider(k) // expired (not yet old) routes become unreachable
		}
		if e := c.routes[k]; e != nil && e.installed != nil && !e.inKernel {
			c.syncKernel(k, e) // retry an install the kernel refused
		}
	}
}

// gcSources forgets feasibility distances not refreshed for sourceStale
// and no longer used by a route, and then the entries left empty.
func (c *core) gcSources() {
	for k, e := range c.routes {
		e.sources = slices.DeleteFunc(e.sources, func(s source) bool {
			if c.now.Sub(s.time) <= sourceStale {
				return false
			}
			for _, r := range e.routes {
				if r.rid == s.rid {
					return false
				}
			}
			return true
		})
		if len(e.sources) == 0 && len(e.routes) == 0 && e.installed == nil && !e.inKernel {
			delete(c.routes, k)
		}
	}
}
