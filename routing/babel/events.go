package babel

import (
	"net/netip"
	"slices"
	"time"

	"re6st-tui/routing/babel/wire"
)

// EventKind says what changed.
type EventKind uint8

// Event kinds.
const (
	NeighbourAdded EventKind = iota + 1
	NeighbourChanged
	NeighbourFlushed
	RouteChanged // the selected route for (Prefix, Src) changed; Route.Installed false = none
	InterfaceChanged
)

// Event is one change, sent to subscribers. Events are keyed by what they
// describe (a route's prefix and source, a neighbour's interface and
// address, an interface's name): a subscriber that reads slowly gets the
// latest state of each key once, not every step.
type Event struct {
	Kind      EventKind
	Neighbour *NeighbourInfo `json:",omitempty"`
	Route     *RouteInfo     `json:",omitempty"`
	Interface *InterfaceInfo `json:",omitempty"`
}

// InterfaceInfo describes a Babel interface.
type InterfaceInfo struct {
	Name      string
	Index     int
	Kind      Kind
	Up        bool
	LinkLocal netip.Addr
}

// NeighbourInfo describes a neighbour, as babeld's `dump` does.
type NeighbourInfo struct {
	Iface         string
	Addr          netip.Addr
	Reach, UReach uint16
	RxCost        uint16
	TxCost        uint16
	RTT           time.Duration // 0 when not measured
	RTTCost       uint16
	Cost          uint16
	Multiplier    uint16 // 256 = 1
}

// RouteInfo describes one route to (Prefix, Src).
type RouteInfo struct {
	Prefix, Src netip.Prefix
	RouterID    wire.RouterID
	Seqno       uint16
	Metric      uint16
	RefMetric   uint16
	Via         netip.Addr
	Iface       string
	Feasible    bool
	Installed   bool // selected
	InKernel    bool
	Age         time.Duration // since its last update with a finite metric
}

// SourceInfo is a feasibility distance.
type SourceInfo struct {
	RouterID    wire.RouterID
	Prefix, Src netip.Prefix
	Seqno       uint16
	Metric      uint16
	Age         time.Duration
}

// Snapshot is a copy of the speaker's state.
type Snapshot struct {
	RouterID   wire.RouterID
	Seqno      uint16
	Interfaces []InterfaceInfo
	Neighbours []NeighbourInfo
	Routes     []RouteInfo
	Sources    []SourceInfo
	Xroutes    []Xroute
	Stats      Stats
}

func (c *core) ifaceInfo(ifc *iface) InterfaceInfo {
	return InterfaceInfo{Name: ifc.Name, Index: ifc.Index, Kind: ifc.Kind, Up: ifc.up, LinkLocal: ifc.LinkLocal}
}

func (c *core) neighInfo(n *neighbour) NeighbourInfo {
	ni := NeighbourInfo{Iface: n.ifc.Name, Addr: n.addr, Reach: n.hist[0].reach, UReach: n.hist[1].reach,
		RxCost: n.rxcost(c.now), TxCost: n.txcost, Cost: n.cost, Multiplier: n.multiplier,
		RTTCost: uint16(min(n.rttCost(c.now), inf))}
	if !n.rttTime.IsZero() {
		ni.RTT = time.Duration(n.rtt) * time.Microsecond
	}
	return ni
}

func (c *core) routeInfo(k routeKey, e *entry, r *route) RouteInfo {
	return RouteInfo{Prefix: k.dst(), Src: k.src(), RouterID: r.rid, Seqno: r.seqno, Metric: c.metric(r),
		RefMetric: r.refmetric, Via: r.neigh.addr, Iface: r.neigh.ifc.Name,
		Feasible: c.feasibleRoute(e, r), Installed: e.installed == r, InKernel: e.installed == r && e.inKernel,
		Age: c.since() - r.time}
}

func (c *core) emitNeighbour(n *neighbour, kind EventKind) {
	if !c.watched() {
		return
	}
	ni := c.neighInfo(n)
	c.events = append(c.events, Event{Kind: kind, Neighbour: &ni})
}

func (c *core) emitInterface(ifc *iface) {
	if !c.watched() {
		return
	}
	ii := c.ifaceInfo(ifc)
	c.events = append(c.events, Event{Kind: InterfaceChanged, Interface: &ii})
}

// emitRoute notes that k changed; its event is built from the state at the
// end of the round (see takeEvents), once however often it changed.
func (c *core) emitRoute(k routeKey) {
	if !c.watched() {
		return
	}
	if c.dirty == nil {
		c.dirty = map[routeKey]struct{}{}
	}
	c.dirty[k] = struct{}{}
}

// takeEvents returns the events of the round, after its kernel changes were
// committed, and forgets them.
func (c *core) takeEvents() []Event {
	evs := c.events
	c.events = nil
	for k := range c.dirty {
		ri := RouteInfo{Prefix: k.dst(), Src: k.src(), Metric: inf}
		if e := c.routes[k]; e != nil && e.installed != nil {
			ri = c.routeInfo(k, e, e.installed)
		}
		evs = append(evs, Event{Kind: RouteChanged, Route: &ri})
	}
	clear(c.dirty)
	return evs
}

func (c *core) snapshot() Snapshot {
	s := Snapshot{RouterID: c.cfg.RouterID, Seqno: c.seqno, Stats: c.stats}
	for _, ifc := range c.ifaces {
		s.Interfaces = append(s.Interfaces, c.ifaceInfo(ifc))
	}
	for _, n := range c.neighs {
		s.Neighbours = append(s.Neighbours, c.neighInfo(n))
	}
	for k, e := range c.routes {
		for _, r := range e.routes {
			s.Routes = append(s.Routes, c.routeInfo(k, e, r))
		}
	}
	for k, e := range c.routes {
		for _, src := range e.sources {
			s.Sources = append(s.Sources, SourceInfo{RouterID: src.rid, Prefix: k.dst(), Src: k.src(),
				Seqno: src.seqno, Metric: src.metric, Age: c.now.Sub(src.time)})
		}
	}
	for _, x := range c.xroutes {
		s.Xroutes = append(s.Xroutes, x)
	}
	slices.SortFunc(s.Interfaces, func(a, b InterfaceInfo) int { return a.Index - b.Index })
	slices.SortFunc(s.Neighbours, func(a, b NeighbourInfo) int { return a.Addr.Compare(b.Addr) })
	slices.SortFunc(s.Routes, func(a, b RouteInfo) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		if a.Prefix.Bits() != b.Prefix.Bits() {
			return a.Prefix.Bits() - b.Prefix.Bits()
		}
		if c := a.Src.Addr().Compare(b.Src.Addr()); c != 0 {
			return c
		}
		return a.Via.Compare(b.Via)
	})
	return s
}
