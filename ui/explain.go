package ui

import (
	"charm.land/lipgloss/v2"
	"fmt"
	"net/netip"
	"strings"

	"re6st-tui/node/state"
)

// explanation follows a destination down the layers: kernel route, Babel
// route, neighbour, tunnel, underlay address.
type explanation struct {
	dst   netip.Prefix
	src   netip.Prefix // the source of the route explained, if any
	steps []explainStep
	notes []string // what looks wrong on the way
	facts []string // what else is worth knowing
}

type explainStep struct {
	layer, text string
	ok          bool
}

func (e *explanation) add(layer string, ok bool, format string, args ...any) {
	e.steps = append(e.steps, explainStep{layer: layer, ok: ok, text: fmt.Sprintf(format, args...)})
}

// explain builds the explanation for dst. kr is the kernel route to start
// from; nil means the one the kernel would pick for a packet from this
// node's address.
func explain(st *state.State, dst netip.Prefix, kr *state.KernelRoute) *explanation {
	e := &explanation{dst: dst}
	if kr != nil {
		e.src = kr.Src
	}
	if kr == nil {
		kr = lookupKernel(st, dst)
	}
	if kr == nil {
		e.add("kernel", false, "no route covers %s: packets to it are dropped (unreachable)", dst)
		return e
	}
	if kr.Type != "" {
		e.add("kernel", false, "%s: packets to it are rejected; no node of the network has this address yet", kernelText(*kr))
		return e
	}
	e.add("kernel", true, "%s", kernelText(*kr))
	e.notes = append(e.notes, competitors(st, kr)...)
	if kr.Proto != state.OriginBabel && !strings.HasPrefix(kr.Dev, "re6stnet") {
		e.add("re6st", false, "not carried by re6st: the %s route sends it out on %s", kr.Proto, kr.Dev)
		return e
	}
	br := babelFor(st, kr)
	if br == nil {
		e.add("babel", false, "Babel has no route for %s from %s: the kernel route is stale; R refetches, or wait for the next update", kr.Dst, prefixOrDash(kr.Src))
		return e
	}
	from := ""
	if br.Src.IsValid() && br.Src.Bits() > 0 {
		from = " from " + br.Src.String()
	}
	e.add("babel", br.Installed, "%s%s metric %s via %s on %s, router %s (%s)",
		br.Prefix, from, costText(br.Metric), br.NextHop, br.Iface, br.RouterID, routeFlags(*br))
	nb := neighbourFor(st, br.NextHop, br.Iface)
	if nb == nil {
		e.add("neighbour", false, "%s on %s is not a Babel neighbour any more", br.NextHop, br.Iface)
		return e
	}
	e.add("neighbour", nb.Cost != state.Infinity, "%s on %s: cost %s, rtt %s, reach %04x", nb.Addr, nb.Iface, costText(nb.Cost), msText(nb.RTT), nb.Reach)
	t := tunnelFor(st, nb)
	if t == nil {
		e.add("tunnel", false, "no tunnel on %s: the neighbour is on a local link", nb.Iface)
		return e
	}
	e.add("tunnel", t.State == state.TunnelUp, "%s to %s (%s, %s)", t.ID, t.Peer, t.Role, t.State)
	e.add("underlay", t.Remote.IsValid(), "%s over %s", t.Remote, t.Proto)
	if s := upnpServed(st.UPnP, t); s != "" {
		e.facts = append(e.facts, "the peer opened this tunnel to us: "+s)
	}
	return e
}

func kernelText(r state.KernelRoute) string {
	s := r.Dst.String()
	if r.IsDefault() {
		s = "default"
	}
	if r.Type != "" {
		s = r.Type + " " + s
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		s += " from " + r.Src.String()
	}
	if r.Via.IsValid() {
		s += " via " + r.Via.String()
	}
	return fmt.Sprintf("%s dev %s proto %s metric %d table %s", s, r.Dev, r.Proto, r.Metric, tableName(r.Table))
}

// lookupKernel does the kernel's longest-prefix match for a packet from
// this node's address (of dst's family): longest destination, then
// longest matching source, then lowest metric.
func lookupKernel(st *state.State, dst netip.Prefix) *state.KernelRoute {
	me := st.Identity.Address
	if dst.Addr().Is4() {
		me = st.Identity.IPv4.Addr()
	}
	var best *state.KernelRoute
	for i := range st.Kernel {
		r := &st.Kernel[i]
		if r.Table != 254 || !r.Dst.Contains(dst.Addr()) || r.Dst.Bits() > dst.Bits() {
			continue
		}
		if r.Src.IsValid() && r.Src.Bits() > 0 && !(me.IsValid() && r.Src.Contains(me)) {
			continue
		}
		if best == nil || better(r, best) {
			best = r
		}
	}
	return best
}

func better(a, b *state.KernelRoute) bool {
	if a.Dst.Bits() != b.Dst.Bits() {
		return a.Dst.Bits() > b.Dst.Bits()
	}
	if a.Src.Bits() != b.Src.Bits() {
		return a.Src.Bits() > b.Src.Bits()
	}
	return a.Metric < b.Metric
}

// competitors describes other routes with the same destination, source
// and table, and which one the kernel uses.
func competitors(st *state.State, kr *state.KernelRoute) []string {
	var out []string
	winner := kr
	for i := range st.Kernel {
		r := &st.Kernel[i]
		if r.Key() == kr.Key() || r.Dst != kr.Dst || r.Src != kr.Src || r.Table != kr.Table {
			continue
		}
		out = append(out, "conflict: also "+kernelText(*r))
		if r.Metric < winner.Metric {
			winner = r
		}
	}
	if len(out) > 0 {
		out = append(out, fmt.Sprintf("the kernel uses the lowest metric: %s (%s on %s)", fmt.Sprint(winner.Metric), winner.Proto, winner.Dev))
	}
	return out
}

func babelFor(st *state.State, kr *state.KernelRoute) *state.BabelRoute {
	var found *state.BabelRoute
	for i := range st.Routes {
		r := &st.Routes[i]
		if r.Prefix != kr.Dst || !sameSrc(r.Src, kr.Src) {
			continue
		}
		if r.Installed {
			return r
		}
		if found == nil {
			found = r
		}
	}
	return found
}

// sameSrc compares source prefixes, taking "none" and ::/0 as equal.
func sameSrc(a, b netip.Prefix) bool {
	return a == b || (!a.IsValid() || a.Bits() == 0) && (!b.IsValid() || b.Bits() == 0)
}

func neighbourFor(st *state.State, addr netip.Addr, iface string) *state.Neighbour {
	for i := range st.Neighbours {
		if nb := &st.Neighbours[i]; nb.Addr == addr && nb.Iface == iface {
			return nb
		}
	}
	return nil
}

func tunnelFor(st *state.State, nb *state.Neighbour) *state.Tunnel {
	i := -1
	for j := range st.Tunnels {
		t := &st.Tunnels[j]
		if t.Iface == nb.Iface && (t.LinkLocal == nb.Addr || !t.LinkLocal.IsValid()) {
			i = j
		}
	}
	if i < 0 {
		return nil
	}
	return &st.Tunnels[i]
}

// what names the destination explained: a default route by that name,
// with the source it is for.
func (e *explanation) what() string {
	s := e.dst.String()
	if e.dst.Bits() == 0 {
		s = "the default route"
		if e.dst.Addr().Is4() {
			s = "the IPv4 default route"
		}
	}
	if e.src.IsValid() && e.src.Bits() > 0 {
		s += " from " + e.src.String()
	}
	return s
}

func (e *explanation) view(m *Model, w int) string {
	st := &m.styles
	var b strings.Builder
	b.WriteString(st.Bold.Render("How "+e.what()+" is reached") + "  " + st.Dim.Render("esc back") + "\n\n")
	for i, s := range e.steps {
		mark := st.OK.Render("✓")
		if !s.ok {
			mark = st.Bad.Render("✗")
		}
		// Long lines wrap under the text, not under the layer name.
		text := strings.ReplaceAll(lipgloss.Wrap(s.text, max(w-12, 20), " /"), "\n", "\n"+strings.Repeat(" ", 12))
		fmt.Fprintf(&b, "%s %-9s %s\n", mark, s.layer, text)
		if i < len(e.steps)-1 {
			b.WriteString("  ↓\n")
		}
	}
	for _, n := range e.notes {
		b.WriteString("\n" + st.Warn.Render("! ") + hang(n, max(w-2, 20), "  "))
	}
	for _, n := range e.facts {
		b.WriteString("\n" + st.Dim.Render("· ") + hang(n, max(w-2, 20), "  "))
	}
	return b.String()
}
