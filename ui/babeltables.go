package ui

import (
	"cmp"
	"strings"

	"re6st-tui/node/state"
)

// babelTables are the Babel tab's four tables, each sorted. Routes and
// sources, which grow with the network, follow events one by one; the
// neighbours and xroutes, a handful of rows, are rebuilt on each change.
type babelTables struct {
	neighbours rowSet[state.Neighbour]
	routes     rowSet[state.BabelRoute]
	sources    rowSet[state.Source]
	xroutes    rowSet[state.XRoute]
}

func newBabelTables() babelTables {
	return babelTables{
		neighbours: rowSet[state.Neighbour]{compare: func(a, b *state.Neighbour) int {
			return cmp.Or(a.Addr.Compare(b.Addr), strings.Compare(a.Iface, b.Iface))
		}},
		routes: rowSet[state.BabelRoute]{compare: func(a, b *state.BabelRoute) int {
			return cmp.Or(keyOf(a.Prefix).compare(keyOf(b.Prefix)), srcKeyOf(a.Src).compare(srcKeyOf(b.Src)),
				comparePrefix(a.Src, b.Src), a.NextHop.Compare(b.NextHop), strings.Compare(a.Iface, b.Iface))
		}},
		sources: rowSet[state.Source]{compare: func(a, b *state.Source) int {
			return cmp.Or(keyOf(a.Prefix).compare(keyOf(b.Prefix)), srcKeyOf(a.Src).compare(srcKeyOf(b.Src)),
				comparePrefix(a.Src, b.Src), strings.Compare(a.RouterID, b.RouterID))
		}},
		xroutes: rowSet[state.XRoute]{compare: func(a, b *state.XRoute) int {
			return cmp.Or(keyOf(a.Prefix).compare(keyOf(b.Prefix)), srcKeyOf(a.Src).compare(srcKeyOf(b.Src)),
				comparePrefix(a.Src, b.Src))
		}},
	}
}

// copies returns the address of a copy of each element of list, for a
// rowSet's reset.
func copies[T any](list []T) func(int) *T {
	return func(i int) *T {
		v := list[i]
		return &v
	}
}

// crossCheck finds the routes Babel says it installed that the kernel
// lacks, kept current event by event: inKernel counts the kernel's routes
// per (prefix, source), installed Babel's installed routes of finite
// metric, and missing is how many of those the kernel lacks.
type crossCheck struct {
	inKernel  map[srcKey]int
	installed map[srcKey]int
	missing   int
}

type srcKey struct{ dst, src pkey }

func kernelKey(r *state.KernelRoute) srcKey { return srcKey{keyOf(r.Dst), srcKeyOf(r.Src)} }
func babelKey(r *state.BabelRoute) srcKey   { return srcKey{keyOf(r.Prefix), srcKeyOf(r.Src)} }

// counts reports whether r counts as installed.
func counts(r *state.BabelRoute) bool { return r.Installed && r.Metric != state.Infinity }

func (c *crossCheck) reset(st *state.State) {
	c.inKernel = make(map[srcKey]int, len(st.Kernel))
	for i := range st.Kernel {
		c.inKernel[kernelKey(&st.Kernel[i])]++
	}
	c.installed = make(map[srcKey]int, len(st.Routes))
	c.missing = 0
	for i := range st.Routes {
		c.route(&st.Routes[i], 1)
	}
}

// route counts r in (delta 1) or out (-1), if it is installed.
func (c *crossCheck) route(r *state.BabelRoute, delta int) {
	if r == nil || !counts(r) {
		return
	}
	k := babelKey(r)
	if n := c.installed[k] + delta; n > 0 {
		c.installed[k] = n
	} else {
		delete(c.installed, k)
	}
	if c.inKernel[k] == 0 {
		c.missing += delta
	}
}

// kernel counts a kernel route added (delta 1) or removed (-1), and
// reports whether the kernel's having a route for its prefix and source
// changed, which changes whether Babel's routes for them are missing.
func (c *crossCheck) kernel(r *state.KernelRoute, delta int) bool {
	if delta == 0 {
		return false
	}
	k := kernelKey(r)
	before := c.inKernel[k]
	after := max(before+delta, 0)
	if after == 0 {
		delete(c.inKernel, k)
	} else {
		c.inKernel[k] = after
	}
	switch {
	case before == 0 && after > 0:
		c.missing -= c.installed[k]
	case before > 0 && after == 0:
		c.missing += c.installed[k]
	default:
		return false
	}
	return true
}

// lacks reports whether Babel says it installed r but the kernel has no
// route for its prefix and source.
func (c *crossCheck) lacks(r *state.BabelRoute) bool {
	return counts(r) && c.inKernel[babelKey(r)] == 0
}
