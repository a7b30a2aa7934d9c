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

type routesPanel struct {
	set     routeSet
	list    list
	filter  filter
	all     bool // show every route, not only re6st's
	explain *explanation
	height  int
	// recheck says a filter that matches "conflict" must be run again:
	// routes came into conflict or out of it.
	recheck bool
	// showFrom and showNote say whether the source prefix and the note
	// have their own columns at the screen's width (setWidth).
	showFrom, showNote bool
}

// setWidth works out which columns the screen's width leaves.
func (p *routesPanel) setWidth(w int) {
	shown := fitColumns(routeCols, w)
	p.showFrom, p.showNote = slices.Contains(shown, routeColFrom), slices.Contains(shown, routeColNote)
}

func newRoutesPanel() routesPanel {
	return routesPanel{filter: newFilter(), all: true, height: 10}
}

// rows are the routes shown, in order.
func (p *routesPanel) rows() []*routeRow { return p.set.rows() }

// rebuild reads every route from the state again.
func (p *routesPanel) rebuild(m *Model) {
	p.set.reset(&m.st)
	p.refilter()
}

// refilter chooses the rows to show again.
func (p *routesPanel) refilter() {
	p.recheck = false
	p.set.refilter(p.keep(), &p.list, p.tableHeight())
}

// keep is the test of the rows shown, nil when all are.
func (p *routesPanel) keep() func(*routeRow) bool {
	if p.all && p.filter.empty() {
		return nil
	}
	return p.shows
}

func (p *routesPanel) shows(r *routeRow) bool {
	if !p.all && !r.re6st {
		return false
	}
	return p.filter.empty() || p.filter.matchText(r.text()) || p.set.conflict(r) && p.filter.match("conflict")
}

// change applies one kernel route event. It returns +1 for a route
// added, -1 for one removed, 0 otherwise.
func (p *routesPanel) change(m *Model, r state.KernelRoute, removed bool) int {
	in, out, flipped := p.set.change(&m.st, r, removed, p.keep(), &p.list, p.tableHeight())
	if flipped && !p.filter.empty() && p.filter.match("conflict") {
		p.recheck = true
	}
	switch {
	case in == nil && out != nil:
		return -1
	case in != nil && out == nil:
		return 1
	}
	return 0
}

// isRe6st reports whether a kernel route is the overlay's: installed by
// Babel, on a re6st tap, or for or from the network, IPv6 or IPv4.
func isRe6st(st *state.State, r *state.KernelRoute) bool {
	if r.Proto == state.OriginBabel || strings.HasPrefix(r.Dev, "re6stnet") {
		return true
	}
	for _, n := range []netip.Prefix{st.Identity.Network, st.Identity.IPv4Network} {
		if n.IsValid() && (n.Overlaps(r.Dst) && r.Dst.Bits() > 0 || r.Src == n) {
			return true
		}
	}
	return false
}

func (p *routesPanel) fit(height int) {
	p.height = height
	p.list.fit(len(p.rows()), p.tableHeight())
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
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.list, n: len(p.rows()), height: p.tableHeight(),
		rebuild: p.refilter}); ok {
		return cmd
	}
	k := &m.keys
	switch {
	case key.Matches(msg, k.AllRoutes):
		p.all = !p.all
		p.refilter()
	case key.Matches(msg, k.Enter):
		if rows := p.rows(); p.list.cursor < len(rows) {
			r := rows[p.list.cursor].r
			p.explain = explain(&m.st, r.Dst, &r)
		}
	case key.Matches(msg, k.ExplainAddr):
		return p.askExplain(m)
	}
	return nil
}

func (p *routesPanel) askExplain(m *Model) tea.Cmd {
	pr, cmd := ask("Explain how a destination is reached", "an IPv6 or IPv4 address or prefix", func(m *Model, v string) tea.Cmd {
		dst, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				m.setStatus(fmt.Sprintf("explain: %q is not an address or prefix; type one such as %s", v, m.st.Identity.Address), true)
				return nil
			}
			a = a.Unmap()
			dst = netip.PrefixFrom(a, a.BitLen())
		}
		p.explain = explain(&m.st, dst.Masked(), nil)
		return nil
	})
	m.prompt = pr
	return cmd
}

// routeCols are the routes tab's columns. On a narrow screen the next
// hop outranks the source prefix and the note: the destination then says
// "from" itself, and a conflict is marked in the margin.
var routeCols = []column{
	{title: "DESTINATION", width: 22, prio: 0},
	{title: "FROM", width: 17, prio: 2},
	{title: "VIA", width: 25, prio: 1}, // a link-local address takes up to 25
	{title: "DEV", width: 12, prio: 0},
	{title: "ORIGIN", width: 6, prio: 0},
	{title: "METRIC", width: 6, right: true, prio: 1},
	{title: "TABLE", width: 5, right: true, prio: 4},
	{title: "PREFSRC", width: 20, prio: 5},
	{title: "NOTE", width: 8, prio: 2},
}

// Indexes of the routes tab's columns that others stand in for.
const (
	routeColFrom = 1
	routeColNote = 8
)

func (p *routesPanel) cell(row, col int) string {
	rr := p.rows()[row]
	r := &rr.r
	switch col {
	case 0:
		dst := r.Dst.String()
		if r.IsDefault() {
			dst = "default"
		}
		if !p.showFrom && r.Src.IsValid() && r.Src.Bits() > 0 {
			dst += " from " + r.Src.String()
		}
		return dst
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
	case p.set.conflict(rr):
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
	rr := p.rows()[row]
	switch {
	case p.set.conflict(rr):
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
	mode, other := "all routes", "re6st only"
	if !p.all {
		mode, other = "re6st routes", "all routes"
	}
	line := fmt.Sprintf("%s: %d shown · a: %s", mode, len(p.rows()), other)
	if n := p.set.conflicts; n > 0 {
		line = m.styles.Bad.Render(fmt.Sprintf("%d in conflict", n)) + " (/conflict) · " + line
	}
	b.WriteString(line + "\n")
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	if len(p.rows()) == 0 {
		b.WriteString(m.styles.Dim.Render("  no route to show; a shows all routes, esc clears the filter"))
		return b.String()
	}
	t := table{cols: routeCols, n: len(p.rows()), cursor: true, cell: p.cell, style: p.rowStyle}
	if !p.showNote {
		t.mark = func(row int) string {
			if p.set.conflict(p.rows()[row]) {
				return "!"
			}
			return ""
		}
	}
	b.WriteString(t.view(p.list, w, p.tableHeight()+1, &m.styles))
	return b.String()
}
