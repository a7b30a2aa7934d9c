package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"re6st-tui/node/state"
)

var peerCols = []column{
	{title: "PEER", width: 21, prio: 0},
	{title: "ROLE", width: 4, prio: 0},
	{title: "REMOTE", width: 21, prio: 3},
	{title: "PROTO", width: 5, prio: 4},
	{title: "IFACE", width: 12, prio: 2},
	{title: "STATE", width: 7, prio: 0},
	{title: "COST", width: 5, right: true, prio: 0},
	{title: "RXC", width: 4, right: true, prio: 5},
	{title: "TXC", width: 4, right: true, prio: 5},
	{title: "RTT", width: 7, right: true, prio: 1},
	{title: "REACH", width: 5, prio: 5},
	{title: "IN", width: 6, right: true, prio: 6},
	{title: "OUT", width: 6, right: true, prio: 6},
	{title: "IN/s", width: 8, right: true, prio: 1},
	{title: "OUT/s", width: 8, right: true, prio: 1},
	{title: "UP", width: 6, right: true, prio: 2},
}

func (p *peersPanel) cell(m *Model, row, col int) string {
	r := p.rows[row]
	t, nb := r.tun, r.nb
	switch col {
	case 0:
		if t == nil {
			return "(lan) " + nb.Addr.String()
		}
		return t.Peer.String()
	case 1:
		if t == nil {
			return "-"
		}
		return roleText(t.Role)
	case 2:
		if t == nil || !t.Remote.IsValid() {
			return "-"
		}
		return t.Remote.String()
	case 3:
		if t == nil {
			return "-"
		}
		return t.Proto
	case 4:
		if t != nil {
			return t.Iface
		}
		return nb.Iface
	case 5:
		return r.state()
	}
	return p.numCell(m, r, col)
}

func (p *peersPanel) numCell(m *Model, r peerRow, col int) string {
	t, nb := r.tun, r.nb
	if nb == nil && col >= 6 && col <= 10 {
		return "-"
	}
	switch col {
	case 6:
		return costText(nb.Cost)
	case 7:
		return costText(nb.RxCost)
	case 8:
		return costText(nb.TxCost)
	case 9:
		return msText(nb.RTT)
	case 10:
		return fmt.Sprintf("%04x", nb.Reach)
	}
	if t == nil {
		return "-"
	}
	switch col {
	case 11:
		return bytesText(float64(t.BytesIn))
	case 12:
		return bytesText(float64(t.BytesOut))
	case 13:
		return rateText(r.in, r.rateOK)
	case 14:
		return rateText(r.out, r.rateOK)
	}
	return durText(r.uptime(m.now))
}

func (p *peersPanel) rowStyle(row int) rowStyle {
	r := p.rows[row]
	switch {
	case r.tun != nil && r.tun.State != state.TunnelUp:
		return rowWarn
	case r.nb != nil && r.nb.Cost == state.Infinity:
		return rowBad
	}
	return rowPlain
}

func (p *peersPanel) view(m *Model, w, h int) string {
	if p.detail {
		if r, ok := p.selected(); ok {
			return p.detailView(m, r, w, h)
		}
	}
	cols := sortedTitles(peerCols, peerSorts[p.sortBy], p.reverse)
	var b strings.Builder
	for _, l := range p.servers {
		b.WriteString(l + "\n")
	}
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	if len(p.rows) == 0 {
		for _, l := range strings.Split(p.emptyText(m), "\n") {
			b.WriteString(m.styles.Dim.Render(l) + "\n")
		}
		return b.String()
	}
	t := table{cols: cols, n: len(p.rows), cursor: true,
		cell: func(r, c int) string { return p.cell(m, r, c) }, style: p.rowStyle}
	b.WriteString(t.view(p.list, w, p.tableHeight()+1, &m.styles))
	return b.String()
}

func (p *peersPanel) emptyText(m *Model) string {
	if p.filter.text() != "" {
		return "  no peer matches the filter; esc clears it"
	}
	return "  no tunnels and no Babel neighbours yet: the node is looking for peers.\n" +
		"  c connects to a peer by prefix; B re-bootstraps from the registry."
}

// sortedTitles marks the sort column's title with an arrow.
func sortedTitles(cols []column, by string, reverse bool) []column {
	out := append([]column(nil), cols...)
	arrow := "↑"
	if reverse {
		arrow = "↓"
	}
	for i, c := range out {
		if strings.EqualFold(c.title, by) || (by == "uptime" && c.title == "UP") {
			out[i].title = c.title + arrow
		}
	}
	return out
}

// detailView shows everything about one peer: tunnel, neighbour, the
// addresses it announced and the routes through it.
func (p *peersPanel) detailView(m *Model, r peerRow, w, h int) string {
	st := &m.styles
	var b strings.Builder
	if t := r.tun; t != nil {
		fmt.Fprintf(&b, "%s  %s\n", st.Bold.Render("Peer "+t.Peer.String()), st.Dim.Render("esc back · x kill · t trace"))
		fmt.Fprintf(&b, "tunnel    %s (%s, %s for %s)\n", t.ID, t.Role, t.State, durText(r.uptime(m.now)))
		fmt.Fprintf(&b, "remote    %s %s on %s   version %s\n", t.Remote, t.Proto, t.Iface, orDash(t.Version != "", t.Version))
		if s := upnpServed(m.st.UPnP, t); s != "" {
			fmt.Fprintf(&b, "served    %s\n", s)
		}
		fmt.Fprintf(&b, "traffic   in %s (%s)  out %s (%s)\n", bytesText(float64(t.BytesIn)), rateText(r.in, r.rateOK),
			bytesText(float64(t.BytesOut)), rateText(r.out, r.rateOK))
		addrs := make([]string, len(t.PeerAddrs))
		for i, a := range t.PeerAddrs {
			addrs[i] = a.String()
		}
		fmt.Fprintf(&b, "addresses %s\n", orDash(len(addrs) > 0, strings.Join(addrs, ", ")))
	} else {
		fmt.Fprintf(&b, "%s  %s\n", st.Bold.Render("Neighbour "+r.nb.Addr.String()), st.Dim.Render("esc back"))
	}
	if nb := r.nb; nb != nil {
		line := fmt.Sprintf("%s on %s: cost %s, rxcost %s, txcost %s, rtt %s, reach %04x",
			nb.Addr, nb.Iface, costText(nb.Cost), costText(nb.RxCost), costText(nb.TxCost), msText(nb.RTT), nb.Reach)
		b.WriteString("babel     " + hang(line, w-10, "          ") + "\n")
	} else {
		b.WriteString("babel     no neighbour heard on this tunnel yet\n")
	}
	routes := routesVia(&m.st, r.nb)
	fmt.Fprintf(&b, "\n%s\n", st.Header.Render(fmt.Sprintf("Routes through this peer (%d)", len(routes))))
	room := h - strings.Count(b.String(), "\n") - 1
	for i, rt := range routes {
		if i == room-1 && len(routes) > room {
			fmt.Fprintf(&b, "  … %d more\n", len(routes)-i)
			break
		}
		from := ""
		if rt.Src.IsValid() && rt.Src.Bits() > 0 {
			from = "from " + rt.Src.String()
		}
		fmt.Fprintf(&b, "  %-24s %-23s metric %-5s %s\n", rt.Prefix, from, costText(rt.Metric), routeFlags(rt))
	}
	return b.String()
}

func routesVia(st *state.State, nb *state.Neighbour) []state.BabelRoute {
	if nb == nil {
		return nil
	}
	var out []state.BabelRoute
	for _, r := range st.Routes {
		if r.NextHop == nb.Addr && r.Iface == nb.Iface {
			out = append(out, r)
		}
	}
	// The state's routes are in no order.
	slices.SortFunc(out, func(a, b state.BabelRoute) int {
		return cmp.Or(keyOf(a.Prefix).compare(keyOf(b.Prefix)), srcKeyOf(a.Src).compare(srcKeyOf(b.Src)))
	})
	return out
}

func routeFlags(r state.BabelRoute) string {
	s := "not installed"
	if r.Installed {
		s = "installed"
	}
	if !r.Feasible {
		s += ", unfeasible"
	}
	return s
}

func roleText(r state.Role) string {
	switch r {
	case state.Client:
		return "cli"
	case state.Server:
		return "srv"
	}
	return string(r)
}
