package ui

import (
	"fmt"
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
	sub     int
	lists   [bCount]list
	idx     [bCount][]int // indexes into the state's tables, after the filter
	missing int           // installed routes the kernel lacks
	lacks   []bool        // per state.Routes index: installed but not in the kernel
	filter  filter
	height  int

	inKernel map[srcKey]bool // reused by crossCheck
}

func newBabelPanel() babelPanel { return babelPanel{filter: newFilter(), height: 10} }

type srcKey struct{ dst, src pkey }

func (p *babelPanel) rebuild(m *Model) {
	p.crossCheck(&m.st)
	p.rebuildIndex(m)
}

// crossCheck flags the routes Babel says it installed that the kernel
// lacks.
func (p *babelPanel) crossCheck(st *state.State) {
	if p.inKernel == nil {
		p.inKernel = make(map[srcKey]bool, len(st.Kernel))
	}
	inKernel := p.inKernel
	clear(inKernel)
	for _, r := range st.Kernel {
		inKernel[srcKey{keyOf(r.Dst), keyOf(r.Src)}] = true
	}
	p.lacks, p.missing = p.lacks[:0], 0
	for _, r := range st.Routes {
		lack := r.Installed && r.Metric != state.Infinity && !inKernel[srcKey{keyOf(r.Prefix), keyOf(r.Src)}]
		p.lacks = append(p.lacks, lack)
		if lack {
			p.missing++
		}
	}
}

// rebuildIndex applies the filter to every table.
func (p *babelPanel) rebuildIndex(m *Model) {
	st := &m.st
	f := &p.filter
	p.idx[bNeighbours] = keep(p.idx[bNeighbours], len(st.Neighbours), func(i int) bool {
		n := st.Neighbours[i]
		return f.empty() || f.match(n.Addr.String(), n.Iface)
	})
	p.idx[bRoutes] = keep(p.idx[bRoutes], len(st.Routes), func(i int) bool {
		r := st.Routes[i]
		return f.empty() || f.match(r.Prefix.String(), r.Src.String(), r.NextHop.String(), r.Iface, r.RouterID) || (p.lacks[i] && f.match("missing"))
	})
	p.idx[bSources] = keep(p.idx[bSources], len(st.Sources), func(i int) bool {
		s := st.Sources[i]
		return f.empty() || f.match(s.Prefix.String(), s.Src.String(), s.RouterID)
	})
	p.idx[bXRoutes] = keep(p.idx[bXRoutes], len(st.XRoutes), func(i int) bool {
		x := st.XRoutes[i]
		return f.empty() || f.match(x.Prefix.String(), x.Src.String())
	})
	p.fit(p.height)
}

func keep(dst []int, n int, ok func(int) bool) []int {
	dst = dst[:0]
	for i := range n {
		if ok(i) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (p *babelPanel) fit(height int) {
	p.height = height
	for i := range p.lists {
		p.lists[i].fit(len(p.idx[i]), p.tableHeight())
	}
}

func (p *babelPanel) tableHeight() int {
	h := p.height - 2 // sub-table line and column titles
	if p.filter.active || p.filter.input.Value() != "" {
		h--
	}
	if p.missing > 0 {
		h--
	}
	return max(h, 1)
}

func (p *babelPanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.lists[p.sub], n: len(p.idx[p.sub]), height: p.tableHeight(),
		rebuild: func() { p.rebuild(m) }}); ok {
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
	bRoutes: {
		{title: "PREFIX", width: 22, prio: 0}, {title: "FROM", width: 18, prio: 2},
		{title: "METRIC", width: 6, right: true, prio: 0}, {title: "REFM", width: 5, right: true, prio: 3},
		{title: "ROUTER-ID", width: 23, prio: 4}, {title: "SEQNO", width: 5, right: true, prio: 5}, {title: "NEXT HOP", width: 24, prio: 2},
		{title: "IFACE", width: 12, prio: 0}, {title: "INST", width: 4, prio: 0},
		{title: "FEAS", width: 4, prio: 1}, {title: "KERNEL", width: 7, prio: 0},
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

func (p *babelPanel) cell(st *state.State, row, col int) string {
	i := p.idx[p.sub][row]
	if !p.valid(st, i) {
		return "" // the table shrank since the last rebuild; one is on its way
	}
	switch p.sub {
	case bNeighbours:
		n := st.Neighbours[i]
		return [...]string{n.Addr.String(), n.Iface, fmt.Sprintf("%04x", n.Reach), costText(n.RxCost),
			costText(n.TxCost), msText(n.RTT), costText(n.Cost)}[col]
	case bRoutes:
		return p.routeCell(st.Routes[i], p.lacks[i], col)
	case bSources:
		s := st.Sources[i]
		return [...]string{s.Prefix.String(), prefixOrDash(s.Src), s.RouterID, fmt.Sprint(s.Seqno), costText(s.Metric)}[col]
	}
	x := st.XRoutes[i]
	return [...]string{x.Prefix.String(), prefixOrDash(x.Src), costText(x.Metric)}[col]
}

func (p *babelPanel) routeCell(r state.BabelRoute, lacks bool, col int) string {
	switch col {
	case 0:
		return r.Prefix.String()
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

func (p *babelPanel) rowStyle(st *state.State) func(int) rowStyle {
	return func(row int) rowStyle {
		if p.sub != bRoutes {
			return rowPlain
		}
		i := p.idx[bRoutes][row]
		if !p.valid(st, i) {
			return rowPlain
		}
		switch r := st.Routes[i]; {
		case p.lacks[i]:
			return rowBad
		case !r.Feasible:
			return rowWarn
		case !r.Installed:
			return rowMuted
		}
		return rowPlain
	}
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
	if p.missing > 0 {
		b.WriteString(m.styles.Bad.Render(fmt.Sprintf("! %d installed Babel %s missing from the kernel · /missing lists %s",
			p.missing, map[bool]string{true: "route is", false: "routes are"}[p.missing == 1], map[bool]string{true: "it", false: "them"}[p.missing == 1])) + "\n")
	}
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	if len(p.idx[p.sub]) == 0 {
		b.WriteString(m.styles.Dim.Render("  nothing in the " + babelNames[p.sub] + " table" + map[bool]string{true: " matches the filter", false: " yet"}[p.filter.text() != ""]))
		return b.String()
	}
	t := table{cols: babelCols[p.sub], n: len(p.idx[p.sub]), cursor: true,
		cell: func(r, c int) string { return p.cell(st, r, c) }, style: p.rowStyle(st)}
	b.WriteString(t.view(p.lists[p.sub], w, p.tableHeight()+1, &m.styles))
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// valid reports whether index i of the current sub-table still exists:
// rebuilds are deferred, so the state may have shrunk meanwhile.
func (p *babelPanel) valid(st *state.State, i int) bool {
	n := [bCount]int{len(st.Neighbours), min(len(st.Routes), len(p.lacks)), len(st.Sources), len(st.XRoutes)}[p.sub]
	return i < n
}
