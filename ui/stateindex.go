package ui

import (
	"net/netip"

	"re6st-tui/node/state"
)

// stateIndex applies events to the dashboard's copy of the state as
// [state.State.Apply] does, but finds the rows of the three tables that
// grow with the network (kernel routes, Babel routes and sources) through
// maps instead of a scan: with ten thousand routes, a scan per event made
// a burst of route changes take longer than a frame. Removal moves the
// last row into the hole, so these tables are in no order; the panels
// sort what they show.
type stateIndex struct {
	kernel  map[state.KernelKey]int
	routes  map[babelRouteID]int
	sources map[sourceID]int
}

type babelRouteID struct {
	prefix, src netip.Prefix
	nextHop     netip.Addr
	iface       string
}

type sourceID struct {
	prefix, src netip.Prefix
	routerID    string
}

func routeID(r *state.BabelRoute) babelRouteID {
	return babelRouteID{r.Prefix, r.Src, r.NextHop, r.Iface}
}

func sourceIDOf(s *state.Source) sourceID { return sourceID{s.Prefix, s.Src, s.RouterID} }

// reset indexes st as it is now.
func (x *stateIndex) reset(st *state.State) {
	x.kernel = make(map[state.KernelKey]int, len(st.Kernel))
	for i := range st.Kernel {
		x.kernel[st.Kernel[i].Key()] = i
	}
	x.routes = make(map[babelRouteID]int, len(st.Routes))
	for i := range st.Routes {
		x.routes[routeID(&st.Routes[i])] = i
	}
	x.sources = make(map[sourceID]int, len(st.Sources))
	for i := range st.Sources {
		x.sources[sourceIDOf(&st.Sources[i])] = i
	}
}

// apply changes st as ev says and reports whether it did.
func (x *stateIndex) apply(st *state.State, ev state.Event) bool {
	switch {
	case ev.Kind == state.KindKernel && ev.Kernel != nil:
		return upsertIndexed(&st.Kernel, x.kernel, ev.Kernel.Key(), *ev.Kernel, ev.Removed, state.KernelRoute.Key)
	case ev.Kind == state.KindRoute && ev.Route != nil:
		return upsertIndexed(&st.Routes, x.routes, routeID(ev.Route), *ev.Route, ev.Removed,
			func(r state.BabelRoute) babelRouteID { return routeID(&r) })
	case ev.Kind == state.KindSource && ev.Source != nil:
		return upsertIndexed(&st.Sources, x.sources, sourceIDOf(ev.Source), *ev.Source, ev.Removed,
			func(s state.Source) sourceID { return sourceIDOf(&s) })
	}
	changed := st.Apply(ev)
	if changed && ev.Kind == state.KindSnapshot {
		x.reset(st)
	}
	return changed
}

// upsertIndexed replaces, appends or (removed) deletes the row keyed k,
// keeping idx, the position of each key in list, true.
func upsertIndexed[T any, K comparable](list *[]T, idx map[K]int, k K, v T, removed bool, keyOf func(T) K) bool {
	i, ok := idx[k]
	switch {
	case removed && !ok:
		return false
	case removed:
		last := len(*list) - 1
		if i != last {
			(*list)[i] = (*list)[last]
			idx[keyOf((*list)[i])] = i
		}
		*list = (*list)[:last]
		delete(idx, k)
	case ok:
		(*list)[i] = v
	default:
		idx[k] = len(*list)
		*list = append(*list, v)
	}
	return true
}
