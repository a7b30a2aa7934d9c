package ui

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// routeRow is a kernel route with what the routes tab says about it.
type routeRow struct {
	r        *state.KernelRoute
	dst      pkey // r.Dst, for sorting
	re6st    bool // belongs to the overlay
	conflict bool // another route has the same destination, source and table
}

// shadows reports whether routes to r's destination compete: link-local
// prefixes have a route on every link, each used only for its own link.
func shadows(r *state.KernelRoute) bool {
	return !r.Dst.Addr().IsLinkLocalUnicast()
}

type routesPanel struct {
	rows    []routeRow
	list    list
	filter  filter
	all     bool // show every route, not only re6st's
	explain *explanation
	height  int
	seen    map[routeKey]int // reused by rebuild to spare the allocations
}

func newRoutesPanel() routesPanel {
	return routesPanel{filter: newFilter(), all: true, height: 10}
}

type routeKey struct {
	dst, src pkey
	table    int
}

func (p *routesPanel) rebuild(m *Model) {
	st := &m.st
	// Count routes per (dst, src, table): more than one is a conflict,
	// the kernel uses the lowest metric and the others are shadowed.
	if p.seen == nil {
		p.seen = make(map[routeKey]int, len(st.Kernel))
	}
	seen := p.seen
	clear(seen)
	for i := range st.Kernel {
		if r := &st.Kernel[i]; shadows(r) {
			seen[routeKey{keyOf(r.Dst), keyOf(r.Src), r.Table}]++
		}
	}
	rows := p.rows[:0]
	for i := range st.Kernel {
		r := &st.Kernel[i]
		dst := keyOf(r.Dst)
		row := routeRow{r: r, dst: dst, re6st: isRe6st(st, r), conflict: shadows(r) && seen[routeKey{dst, keyOf(r.Src), r.Table}] > 1}
		if (p.all || row.re6st) && (p.filter.empty() || p.filter.match(r.Dst.String(), r.Src.String(), r.Via.String(), r.Dev, r.Proto)) {
			rows = append(rows, row)
		}
	}
	// Defaults (the zero key) come first, then by destination and metric.
	slices.SortFunc(rows, func(a, b routeRow) int {
		if c := a.dst.compare(b.dst); c != 0 {
			return c
		}
		return cmp.Compare(a.r.Metric, b.r.Metric)
	})
	p.rows = rows
	p.list.fit(len(rows), p.tableHeight())
}

// isRe6st reports whether a kernel route is the overlay's: installed by
// Babel, on a re6st tap, or for or from the network.
func isRe6st(st *state.State, r *state.KernelRoute) bool {
	n := st.Identity.Network
	return r.Proto == state.OriginBabel || strings.HasPrefix(r.Dev, "re6stnet") ||
		(n.IsValid() && (n.Overlaps(r.Dst) && r.Dst.Bits() > 0 || r.Src == n))
}

func (p *routesPanel) fit(height int) {
	p.height = height
	p.list.fit(len(p.rows), p.tableHeight())
}

func (p *routesPanel) tableHeight() int {
	h := p.height - 2 // mode line and column titles
	if p.filter.active || p.filter.input.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (p *routesPanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	// An explanation opens only with the filter closed, so it goes first.
	if p.explain != nil {
		if key.Matches(msg, m.keys.Back, m.keys.Enter) {
			p.explain = nil
		}
		return nil
	}
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.list, n: len(p.rows), height: p.tableHeight(),
		rebuild: func() { p.rebuild(m) }}); ok {
		return cmd
	}
	k := &m.keys
	switch {
	case key.Matches(msg, k.AllRoutes):
		p.all = !p.all
		p.rebuild(m)
	case key.Matches(msg, k.Enter):
		if p.list.cursor < len(p.rows) {
			r := p.rows[p.list.cursor].r
			p.explain = explain(&m.st, r.Dst, r)
		}
	case key.Matches(msg, k.ExplainAddr):
		return p.askExplain(m)
	}
	return nil
}

func (p *routesPanel) askExplain(m *Model) tea.Cmd {
	pr, cmd := ask("Explain how a destination is reached", "an IPv6 address or prefix", func(m *Model, v string) tea.Cmd {
		dst, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil || !a.Is6() {
				m.setStatus(fmt.Sprintf("explain: %q is not an IPv6 address or prefix; type one such as %s", v, m.st.Identity.Address), true)
				return nil
			}
			dst = netip.PrefixFrom(a, 128)
		}
		p.explain = explain(&m.st, dst.Masked(), nil)
		return nil
	})
	m.prompt = pr
	return cmd
}

var routeCols = []column{
	{title: "DESTINATION", width: 22, prio: 0},
	{title: "FROM", width: 17, prio: 1},
	{title: "VIA", width: 21, prio: 2},
	{title: "DEV", width: 12, prio: 0},
	{title: "ORIGIN", width: 6, prio: 0},
	{title: "METRIC", width: 6, right: true, prio: 1},
	{title: "TABLE", width: 5, right: true, prio: 4},
	{title: "PREFSRC", width: 20, prio: 5},
	{title: "NOTE", width: 8, prio: 0},
}

func (p *routesPanel) cell(row, col int) string {
	rr := p.rows[row]
	r := rr.r
	switch col {
	case 0:
		if r.IsDefault() {
			return "default"
		}
		return r.Dst.String()
	case 1:
		return prefixOrDash(r.Src)
	case 2:
		if r.Type != "" {
			return r.Type
		}
		return addrOrDash(r.Via)
	case 3:
		return r.Dev
	case 4:
		return r.Proto
	case 5:
		return fmt.Sprint(r.Metric)
	case 6:
		return tableName(r.Table)
	case 7:
		return addrOrDash(r.PrefSrc)
	}
	switch {
	case rr.conflict:
		return "conflict"
	case r.IsDefault():
		return "default"
	}
	return ""
}

func tableName(t int) string {
	if t == 254 {
		return "main"
	}
	return fmt.Sprint(t)
}

func prefixOrDash(p netip.Prefix) string {
	if !p.IsValid() || p.Bits() == 0 {
		return "-"
	}
	return p.String()
}

func addrOrDash(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}

func (p *routesPanel) rowStyle(row int) rowStyle {
	rr := p.rows[row]
	switch {
	case rr.conflict:
		return rowBad
	case rr.r.IsDefault():
		return rowDefault
	case !rr.re6st:
		return rowMuted
	}
	return rowPlain
}

func (p *routesPanel) view(m *Model, w, h int) string {
	if p.explain != nil {
		return p.explain.view(m, w)
	}
	var b strings.Builder
	mode := "all routes"
	if !p.all {
		mode = "re6st routes only"
	}
	conflicts := 0
	for _, r := range p.rows {
		if r.conflict {
			conflicts++
		}
	}
	line := fmt.Sprintf("%s · %d shown · a toggles · enter explains", mode, len(p.rows))
	if conflicts > 0 {
		line = m.styles.Bad.Render(plural(conflicts, "route")+" in conflict") + " · " + line
	}
	b.WriteString(line + "\n")
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	if len(p.rows) == 0 {
		b.WriteString(m.styles.Dim.Render("  no route to show; a shows all routes, esc clears the filter"))
		return b.String()
	}
	t := table{cols: routeCols, n: len(p.rows), cursor: true, cell: p.cell, style: p.rowStyle}
	b.WriteString(t.view(p.list, w, p.tableHeight()+1, &m.styles))
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
