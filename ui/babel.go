package ui

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// babel sub-tables, switched with left/right.
const (
	bNeighbours = iota
	bRoutes
	bSources
	bXRoutes
	bCount
)

var babelNames = [bCount]string{"neighbours", "routes", "sources", "xroutes"}

type babelPanel struct {
	sub    int
	lists  [bCount]list
	filter filter
	height int
	tables babelTables
	check  crossCheck
	// recheck says a filter that matches "missing" must be run again: a
	// kernel change made routes missing or no longer missing.
	recheck bool
	// showFrom says, per table, whether the source prefix has its own
	// column at the screen's width (setWidth).
	showFrom [bCount]bool
}

// setWidth works out which columns the screen's width leaves.
func (p *babelPanel) setWidth(w int) {
	for i := range p.showFrom {
		p.showFrom[i] = slices.Contains(fitColumns(babelCols[i], w), 1) // FROM is the second column of each table
	}
}

// prefixText is a prefix, with its source when the FROM column is not
// on the screen.
func (p *babelPanel) prefixText(dst, src netip.Prefix) string {
	if p.showFrom[p.sub] || !src.IsValid() || src.Bits() == 0 {
		return dst.String()
	}
	return dst.String() + " from " + src.String()
}

func newBabelPanel() babelPanel {
	return babelPanel{filter: newFilter(), height: 10, tables: newBabelTables()}
}

// rebuild reads every table and the cross-check from the state again.
func (p *babelPanel) rebuild(m *Model) {
	st := &m.st
	p.check.reset(st)
	p.tables.routes.reset(len(st.Routes), copies(st.Routes))
	p.tables.sources.reset(len(st.Sources), copies(st.Sources))
	p.resetSmall(st)
	p.refilter()
}

// resetSmall rebuilds the two small tables.
func (p *babelPanel) resetSmall(st *state.State) {
	p.tables.neighbours.reset(len(st.Neighbours), copies(st.Neighbours))
	p.tables.xroutes.reset(len(st.XRoutes), copies(st.XRoutes))
}

// smallChanged follows a change of neighbours or xroutes.
func (p *babelPanel) smallChanged(st *state.State) {
	p.resetSmall(st)
	t, h := &p.tables, p.tableHeight()
	t.neighbours.refilter(p.keepNeighbour(), &p.lists[bNeighbours], h)
	t.xroutes.refilter(p.keepXRoute(), &p.lists[bXRoutes], h)
}

// routeChanged follows one Babel route event.
func (p *babelPanel) routeChanged(r state.BabelRoute, removed bool) {
	in, out := p.tables.routes.change(&r, removed, p.keepRoute(), &p.lists[bRoutes], p.tableHeight())
	p.check.route(out, -1)
	p.check.route(in, 1)
}

// sourceChanged follows one source event.
func (p *babelPanel) sourceChanged(s state.Source, removed bool) {
	p.tables.sources.change(&s, removed, p.keepSource(), &p.lists[bSources], p.tableHeight())
}

// kernelChanged follows a kernel route added (delta 1) or removed (-1).
func (p *babelPanel) kernelChanged(r *state.KernelRoute, delta int) {
	if p.check.kernel(r, delta) && p.filtered() && p.filter.match("missing") {
		p.recheck = true
	}
}

// filtered reports whether the rows shown go through the filter.
func (p *babelPanel) filtered() bool { return !p.filter.empty() }

// rowCount is the number of rows sub shows.
func (p *babelPanel) rowCount(sub int) int {
	t := &p.tables
	return [bCount]int{len(t.neighbours.rows()), len(t.routes.rows()), len(t.sources.rows()), len(t.xroutes.rows())}[sub]
}

// refilter applies the filter to every table again.
func (p *babelPanel) refilter() {
	p.recheck = false
	t, h := &p.tables, p.tableHeight()
	t.neighbours.refilter(p.keepNeighbour(), &p.lists[bNeighbours], h)
	t.routes.refilter(p.keepRoute(), &p.lists[bRoutes], h)
	t.sources.refilter(p.keepSource(), &p.lists[bSources], h)
	t.xroutes.refilter(p.keepXRoute(), &p.lists[bXRoutes], h)
}

// The filter of each table, nil when it lets everything through.

func (p *babelPanel) keepNeighbour() func(*state.Neighbour) bool {
	if !p.filtered() {
		return nil
	}
	return func(n *state.Neighbour) bool { return p.filter.match(n.Addr.String(), n.Iface) }
}

func (p *babelPanel) keepRoute() func(*state.BabelRoute) bool {
	if !p.filtered() {
		return nil
	}
	return func(r *state.BabelRoute) bool {
		return p.filter.match(r.Prefix.String(), r.Src.String(), r.NextHop.String(), r.Iface, r.RouterID) ||
			p.check.lacks(r) && p.filter.match("missing")
	}
}

func (p *babelPanel) keepSource() func(*state.Source) bool {
	if !p.filtered() {
		return nil
	}
	return func(s *state.Source) bool { return p.filter.match(s.Prefix.String(), s.Src.String(), s.RouterID) }
}

func (p *babelPanel) keepXRoute() func(*state.XRoute) bool {
	if !p.filtered() {
		return nil
	}
	return func(x *state.XRoute) bool { return p.filter.match(x.Prefix.String(), x.Src.String()) }
}

func (p *babelPanel) fit(height int) {
	p.height = height
	for i := range p.lists {
		p.lists[i].fit(p.rowCount(i), p.tableHeight())
	}
}

func (p *babelPanel) tableHeight() int {
	h := p.height - 2 // sub-table line and column titles
	if p.filter.active || p.filter.input.Value() != "" {
		h--
	}
	if p.check.missing > 0 {
		h--
	}
	return max(h, 1)
}

func (p *babelPanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.lists[p.sub], n: p.rowCount(p.sub), height: p.tableHeight(),
		rebuild: p.refilter}); ok {
		return cmd
	}
	switch k := &m.keys; {
	case key.Matches(msg, k.Left):
		p.sub = (p.sub + bCount - 1) % bCount
	case key.Matches(msg, k.Right):
		p.sub = (p.sub + 1) % bCount
	}
	return nil
}

var babelCols = [bCount][]column{
	bNeighbours: {
		{title: "ADDRESS", width: 26, prio: 0}, {title: "IFACE", width: 14, prio: 0},
		{title: "REACH", width: 5, prio: 0}, {title: "RXCOST", width: 6, right: true, prio: 0},
		{title: "TXCOST", width: 6, right: true, prio: 0}, {title: "RTT", width: 8, right: true, prio: 0},
		{title: "COST", width: 5, right: true, prio: 0},
	},
	// The next hop outranks the rest on a narrow screen; KERNEL says
	// whether the route is installed too.
	bRoutes: {
		{title: "PREFIX", width: 22, prio: 0}, {title: "FROM", width: 18, prio: 2},
		{title: "METRIC", width: 6, right: true, prio: 0}, {title: "REFM", width: 5, right: true, prio: 3},
		{title: "ROUTER-ID", width: 23, prio: 4}, {title: "SEQNO", width: 5, right: true, prio: 5}, {title: "NEXT HOP", width: 25, prio: 1},
		{title: "IFACE", width: 12, prio: 0}, {title: "INST", width: 4, prio: 3},
		{title: "FEAS", width: 4, prio: 2}, {title: "KERNEL", width: 7, prio: 0},
	},
	bSources: {
		{title: "PREFIX", width: 22, prio: 0}, {title: "FROM", width: 18, prio: 1},
		{title: "ROUTER-ID", width: 23, prio: 0}, {title: "SEQNO", width: 5, right: true, prio: 0},
		{title: "METRIC", width: 6, right: true, prio: 0},
	},
	bXRoutes: {
		{title: "PREFIX", width: 43, prio: 0}, {title: "FROM", width: 22, prio: 0},
		{title: "METRIC", width: 6, right: true, prio: 0},
	},
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (p *babelPanel) cell(row, col int) string {
	t := &p.tables
	switch p.sub {
	case bNeighbours:
		n := t.neighbours.rows()[row]
		return [...]string{n.Addr.String(), n.Iface, fmt.Sprintf("%04x", n.Reach), costText(n.RxCost),
			costText(n.TxCost), msText(n.RTT), costText(n.Cost)}[col]
	case bRoutes:
		r := t.routes.rows()[row]
		return p.routeCell(r, p.check.lacks(r), col)
	case bSources:
		s := t.sources.rows()[row]
		return [...]string{p.prefixText(s.Prefix, s.Src), prefixOrDash(s.Src), s.RouterID, fmt.Sprint(s.Seqno), costText(s.Metric)}[col]
	}
	x := t.xroutes.rows()[row]
	return [...]string{x.Prefix.String(), prefixOrDash(x.Src), costText(x.Metric)}[col]
}

func (p *babelPanel) routeCell(r *state.BabelRoute, lacks bool, col int) string {
	switch col {
	case 0:
		return p.prefixText(r.Prefix, r.Src)
	case 1:
		return prefixOrDash(r.Src)
	case 2:
		return costText(r.Metric)
	case 3:
		return costText(r.RefMetric)
	case 4:
		return r.RouterID
	case 5:
		return fmt.Sprint(r.Seqno)
	case 6:
		return r.NextHop.String()
	case 7:
		return r.Iface
	case 8:
		return yesNo(r.Installed)
	case 9:
		return yesNo(r.Feasible)
	}
	switch {
	case lacks:
		return "MISSING"
	case r.Installed:
		return "ok"
	}
	return "-"
}

func (p *babelPanel) rowStyle(row int) rowStyle {
	if p.sub != bRoutes {
		return rowPlain
	}
	switch r := p.tables.routes.rows()[row]; {
	case p.check.lacks(r):
		return rowBad
	case !r.Feasible:
		return rowWarn
	case !r.Installed:
		return rowMuted
	}
	return rowPlain
}

func (p *babelPanel) view(m *Model, w, h int) string {
	st := &m.st
	var b strings.Builder
	counts := [bCount]int{len(st.Neighbours), len(st.Routes), len(st.Sources), len(st.XRoutes)}
	for i := range bCount {
		label := fmt.Sprintf("%s %d", babelNames[i], counts[i])
		if i == p.sub {
			b.WriteString(m.styles.TabActive.Render("[" + label + "]"))
		} else {
			b.WriteString(" " + label + " ")
		}
		b.WriteByte(' ')
	}
	b.WriteString(m.styles.Dim.Render("←/→ switch"))
	b.WriteByte('\n')
	if n := p.check.missing; n > 0 {
		b.WriteString(m.styles.Bad.Render(fmt.Sprintf("! %d installed Babel %s missing from the kernel · /missing lists %s",
			n, map[bool]string{true: "route is", false: "routes are"}[n == 1], map[bool]string{true: "it", false: "them"}[n == 1])) + "\n")
	}
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	n := p.rowCount(p.sub)
	if n == 0 {
		b.WriteString(m.styles.Dim.Render("  nothing in the " + babelNames[p.sub] + " table" + map[bool]string{true: " matches the filter", false: " yet"}[p.filter.text() != ""]))
		return b.String()
	}
	t := table{cols: babelCols[p.sub], n: n, cursor: true,
		cell: p.cell, style: p.rowStyle}
	b.WriteString(t.view(p.lists[p.sub], w, p.tableHeight()+1, &m.styles))
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
