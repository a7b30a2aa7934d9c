package ui

import (
	"cmp"
	"strings"

	"re6st-tui/node/state"
)

// routeRow is a kernel route with what the routes tab says about it. It
// holds a copy of the route: the state's slice moves as routes come and
// go, and rows outlive that.
type routeRow struct {
	r        state.KernelRoute
	dst, src pkey // r.Dst and r.Src, for sorting and counting
	re6st    bool // belongs to the overlay
	search   string
}

// text is what the filter searches in the route, lower-cased, its fields
// kept apart; made once, since a key typed in the filter searches every
// route.
func (r *routeRow) text() string {
	if r.search == "" {
		k := &r.r
		fields := []string{k.Dst.String(), k.Dev, k.Proto}
		if k.Src.IsValid() {
			fields = append(fields, k.Src.String())
		}
		if k.Via.IsValid() {
			fields = append(fields, k.Via.String())
		}
		r.search = strings.ToLower(strings.Join(fields, "\x00"))
	}
	return r.search
}

func newRouteRow(st *state.State, r state.KernelRoute) *routeRow {
	return &routeRow{r: r, dst: keyOf(r.Dst), src: srcKeyOf(r.Src), re6st: isRe6st(st, &r)}
}

// compareRows is the routes tab's order: by destination (IPv6 first,
// defaults first), then metric, then the rest of the kernel's key, so
// that every route has exactly one place and can be found by bisection.
func compareRows(a, b *routeRow) int {
	if c := a.dst.compare(b.dst); c != 0 {
		return c
	}
	if c := cmp.Compare(a.r.Metric, b.r.Metric); c != 0 {
		return c
	}
	if c := a.src.compare(b.src); c != 0 {
		return c
	}
	if c := cmp.Compare(a.r.Table, b.r.Table); c != 0 {
		return c
	}
	return strings.Compare(a.r.Dev, b.r.Dev)
}

// routeKey is what makes routes compete: the kernel uses one route per
// destination, source and table, the one of lowest metric.
type routeKey struct {
	dst, src pkey
	table    int
}

func (r *routeRow) key() routeKey { return routeKey{r.dst, r.src, r.r.Table} }

// shadows reports whether routes to r's destination compete: link-local
// prefixes have a route on every link, each used only for its own link.
func shadows(r *state.KernelRoute) bool {
	return !r.Dst.Addr().IsLinkLocalUnicast()
}

// routeSet is every kernel route, sorted, with what conflicts need:
// how many routes share each (destination, source, table).
type routeSet struct {
	rowSet[routeRow]
	same      map[routeKey]int
	conflicts int // routes that compete with another
}

func (s *routeSet) reset(st *state.State) {
	s.compare = compareRows
	s.same = make(map[routeKey]int, len(st.Kernel))
	s.conflicts = 0
	s.rowSet.reset(len(st.Kernel), func(i int) *routeRow {
		row := newRouteRow(st, st.Kernel[i])
		s.count(row, 1)
		return row
	})
}

// count adds delta routes like r to the conflict counts, and reports
// whether that brought routes into conflict or out of it.
func (s *routeSet) count(r *routeRow, delta int) bool {
	if !shadows(&r.r) {
		return false
	}
	k := r.key()
	before := s.same[k]
	after := before + delta
	if after == 0 {
		delete(s.same, k)
	} else {
		s.same[k] = after
	}
	s.conflicts += competing(after) - competing(before)
	return (before > 1) != (after > 1)
}

// competing is how many of n routes with one key are in conflict.
func competing(n int) int {
	if n > 1 {
		return n
	}
	return 0
}

// conflict reports whether r competes with another route.
func (s *routeSet) conflict(r *routeRow) bool {
	return shadows(&r.r) && s.same[r.key()] > 1
}

// change applies one kernel route event to the rows and the counts; see
// [rowSet.change]. flipped says routes came into conflict or out of it.
// A replaced route has the same key, and so the same count.
func (s *routeSet) change(st *state.State, r state.KernelRoute, removed bool, keep func(*routeRow) bool, l *list, height int) (in, out *routeRow, flipped bool) {
	in, out = s.rowSet.change(newRouteRow(st, r), removed, keep, l, height)
	switch {
	case in == nil && out != nil:
		flipped = s.count(out, -1)
	case in != nil && out == nil:
		flipped = s.count(in, 1)
	}
	return in, out, flipped
}
