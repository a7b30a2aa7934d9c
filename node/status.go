package node

import (
	"context"
	"net/netip"
	"sort"
	"strings"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/state"
	"re6st-tui/tunnels"
)

func (n *Node) publish(ev state.Event) {
	ev.Time = time.Now()
	n.bus.Publish(ev)
}

func (n *Node) setStatus(phase state.Phase, reason string) {
	n.mu.Lock()
	changed := n.st.Status.Phase != phase || n.st.Status.Reason != reason
	if changed {
		n.st.Status = state.Status{Phase: phase, Reason: reason, Since: time.Now()}
	}
	st := n.st.Status
	n.mu.Unlock()
	if changed {
		n.publish(state.Event{Kind: state.KindStatus, Status: &st})
	}
}

func (n *Node) setRegistry(ok bool, err error) {
	n.mu.Lock()
	r := &n.st.Registry
	r.Reachable = ok
	if ok {
		r.LastContact, r.LastError, r.ConfigAge = time.Now(), "", time.Now()
	} else if err != nil {
		r.LastError = err.Error()
	}
	reg := *r
	n.mu.Unlock()
	n.publish(state.Event{Kind: state.KindRegistry, Registry: &reg})
}

// tunnelState records a tunnel's change and publishes it.
func (n *Node) tunnelState(ev tunnels.Event, prefix string) {
	var t state.Tunnel
	t.Iface, t.Remote = ev.Tunnel, ev.Remote
	t.Since = ev.Time
	if p, err := identity.Subnet(n.id.CA.Network, prefix); err == nil && prefix != "" {
		t.Peer = p
	}
	removed := false
	switch ev.Kind {
	case tunnels.PeerConnected:
		t.Role, t.State, t.ID = state.Server, state.TunnelUp, ev.Tunnel+" "+ev.CN
		t.Proto = strings.TrimPrefix(ev.Tunnel, "re6stnet-")
	case tunnels.PeerDisconnected:
		t.Role, t.ID, removed = state.Server, ev.Tunnel+" "+ev.CN, true
	case tunnels.Connected:
		t.Role, t.State, t.ID = state.Client, state.TunnelUp, ev.Tunnel
		t.Proto = n.tunnelProto[ev.Tunnel]
	case tunnels.Failed, tunnels.Exited:
		t.Role, t.ID, removed = state.Client, ev.Tunnel, true
	default:
		return
	}
	n.mu.Lock()
	list := n.st.Tunnels[:0:0]
	for _, old := range n.st.Tunnels {
		if old.ID != t.ID {
			list = append(list, old)
		}
	}
	if !removed {
		list = append(list, t)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	n.st.Tunnels = list
	n.mu.Unlock()
	n.publish(state.Event{Kind: state.KindTunnel, Tunnel: &t, Removed: removed})
}

// counters updates a tunnel's byte counters.
func (n *Node) counters(ev tunnels.Event) {
	n.mu.Lock()
	var batch []state.Counters
	for i := range n.st.Tunnels {
		t := &n.st.Tunnels[i]
		if t.Iface == ev.Tunnel && (t.Role == state.Client || t.ID == ev.Tunnel+" "+ev.CN) {
			t.BytesIn, t.BytesOut = ev.Counters.In, ev.Counters.Out
			batch = append(batch, state.Counters{ID: t.ID, BytesIn: t.BytesIn, BytesOut: t.BytesOut})
		}
	}
	n.mu.Unlock()
	if len(batch) > 0 {
		n.publish(state.Event{Kind: state.KindCounters, Counters: batch})
	}
}

// refreshState rebuilds the Babel part of the state from the speaker, and
// the node's phase. The kernel's routes follow netlink (kroutes.go).
func (n *Node) refreshState() {
	n.dirty = false
	snap, err := n.speaker.Snapshot()
	if err != nil {
		return
	}
	var s state.State
	for _, nb := range snap.Neighbours {
		s.Neighbours = append(s.Neighbours, state.Neighbour{Addr: nb.Addr, Iface: nb.Iface, Reach: nb.Reach,
			RxCost: nb.RxCost, TxCost: nb.TxCost, RTT: nb.RTT, Cost: nb.Cost})
	}
	for _, r := range snap.Routes {
		src := r.Src
		if !src.IsValid() {
			src = netip.MustParsePrefix("::/0")
		}
		s.Routes = append(s.Routes, state.BabelRoute{Prefix: r.Prefix, Src: src, Metric: r.Metric, RefMetric: r.RefMetric,
			RouterID: r.RouterID.String(), NextHop: r.Via, Iface: r.Iface, Installed: r.Installed, Feasible: r.Feasible})
	}
	for _, so := range snap.Sources {
		s.Sources = append(s.Sources, state.Source{Prefix: so.Prefix, Src: so.Src, RouterID: so.RouterID.String(), Seqno: so.Seqno, Metric: so.Metric})
	}
	for _, x := range snap.Xroutes {
		s.XRoutes = append(s.XRoutes, state.XRoute{Prefix: x.Prefix, Src: x.Src, Metric: x.Metric})
	}
	peers, _ := n.cache.Peers(context.Background(), false)
	// A node's own prefix is announced with refmetric 0 by the neighbour at
	// the other end of its tunnel: that ties tunnels to Babel neighbours,
	// whether or not Babel uses that route.
	type link struct {
		prefix netip.Prefix
		iface  string
	}
	owner := map[link]netip.Addr{}
	for _, r := range s.Routes {
		if r.RefMetric == 0 {
			owner[link{r.Prefix, r.Iface}] = r.NextHop
		}
	}
	n.mu.Lock()
	old := state.State{Neighbours: n.st.Neighbours, Routes: n.st.Routes, Sources: n.st.Sources, XRoutes: n.st.XRoutes,
		Tunnels: append([]state.Tunnel(nil), n.st.Tunnels...)}
	n.st.Neighbours, n.st.Routes, n.st.Sources, n.st.XRoutes = s.Neighbours, s.Routes, s.Sources, s.XRoutes
	n.st.Registry.CachedPeers = len(peers)
	n.st.Registry.Reachable = !n.mgr.Disconnected()
	for i := range n.st.Tunnels {
		t := &n.st.Tunnels[i]
		t.LinkLocal = owner[link{t.Peer, t.Iface}]
	}
	n.fillPeerDetails(n.st.Tunnels, peers)
	tunnelsUp := len(n.st.Tunnels)
	cur := state.State{Tunnels: append([]state.Tunnel(nil), n.st.Tunnels...)}
	reg := n.st.Registry
	n.mu.Unlock()
	n.publishChanges(old, s, cur.Tunnels)
	n.publish(state.Event{Kind: state.KindRegistry, Registry: &reg})
	switch {
	case tunnelsUp == 0:
		n.setStatus(state.Bootstrapping, "no tunnel yet")
	case n.mgr.Disconnected():
		n.setStatus(state.Degraded, "no route to the registry's node")
	default:
		n.setStatus(state.Connected, "")
	}
}

// publishChanges sends the keyed events that turn old's tables into cur's,
// as state.Apply keys them, so that subscribers keep their logs and only
// the rows that changed travel.
func (n *Node) publishChanges(old, cur state.State, tunnels []state.Tunnel) {
	diff(old.Neighbours, cur.Neighbours, func(v state.Neighbour) any { return [2]any{v.Addr, v.Iface} },
		func(v state.Neighbour, gone bool) {
			n.publish(state.Event{Kind: state.KindNeighbour, Neighbour: &v, Removed: gone})
		})
	diff(old.Routes, cur.Routes, func(v state.BabelRoute) any { return [4]any{v.Prefix, v.Src, v.NextHop, v.Iface} },
		func(v state.BabelRoute, gone bool) {
			n.publish(state.Event{Kind: state.KindRoute, Route: &v, Removed: gone})
		})
	diff(old.Sources, cur.Sources, func(v state.Source) any { return [3]any{v.Prefix, v.Src, v.RouterID} },
		func(v state.Source, gone bool) {
			n.publish(state.Event{Kind: state.KindSource, Source: &v, Removed: gone})
		})
	diff(old.XRoutes, cur.XRoutes, func(v state.XRoute) any { return [2]any{v.Prefix, v.Src} },
		func(v state.XRoute, gone bool) {
			n.publish(state.Event{Kind: state.KindXRoute, XRoute: &v, Removed: gone})
		})
	// Tunnels come and go with their own events; here only the Babel
	// neighbour tied to each may change.
	before := map[string]netip.Addr{}
	for _, t := range old.Tunnels {
		before[t.ID] = t.LinkLocal
	}
	for _, t := range tunnels {
		if ll, ok := before[t.ID]; ok && ll != t.LinkLocal {
			n.publish(state.Event{Kind: state.KindTunnel, Tunnel: &t})
		}
	}
}

// diff calls publish for every row of cur that is new or changed, and for
// every row of old that is gone.
func diff[T comparable](old, cur []T, key func(T) any, publish func(v T, gone bool)) {
	prev := make(map[any]T, len(old))
	for _, v := range old {
		prev[key(v)] = v
	}
	for _, v := range cur {
		k := key(v)
		if o, ok := prev[k]; !ok || o != v {
			publish(v, false)
		}
		delete(prev, k)
	}
	for _, v := range prev {
		publish(v, true)
	}
}
