package ui

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/identity"
	"re6st-tui/node/state"
)

type tracePanel struct {
	input   textinput.Model
	dst     string
	id      int // of the running trace; messages of older ones are dropped
	running bool
	cancel  context.CancelFunc
	hops    []state.Hop
	ch      <-chan state.Hop
	err     string
}

func newTracePanel() tracePanel {
	in := textinput.New()
	in.Prompt = "destination: "
	in.Placeholder = "an IPv6 address or a peer prefix"
	in.SetWidth(44)
	return tracePanel{input: in}
}

// begin starts tracing dst, stopping any trace already running.
func (p *tracePanel) begin(m *Model, dst string) tea.Cmd {
	p.stop()
	p.input.Blur()
	p.input.SetValue(dst)
	p.id++
	p.dst, p.hops, p.err, p.running = dst, nil, "", true
	ctx, cancel := context.WithCancel(m.ctx)
	p.cancel = cancel
	return startTrace(ctx, m.eng, p.id, dst)
}

func (p *tracePanel) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.running = false
}

func (p *tracePanel) onMsg(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case traceStartedMsg:
		if msg.id != p.id {
			return nil
		}
		if msg.err != nil {
			p.err, p.running = msg.err.Error(), false
			return nil
		}
		p.ch = msg.hops
		return waitForHop(msg.id, p.ch)
	case hopMsg:
		if msg.id != p.id {
			return nil
		}
		p.setHop(msg.hop)
		return waitForHop(msg.id, p.ch)
	case traceEndedMsg:
		if msg.id == p.id {
			p.running = false
		}
	}
	return nil
}

func (p *tracePanel) setHop(h state.Hop) {
	for len(p.hops) < h.N {
		p.hops = append(p.hops, state.Hop{N: len(p.hops) + 1})
	}
	if h.N > 0 {
		p.hops[h.N-1] = h
	}
	if h.Final { // the path ends here: hops beyond it are leftovers
		p.hops = p.hops[:h.N]
	}
}

func (p *tracePanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if p.input.Focused() {
		switch msg.String() {
		case "enter":
			if v := strings.TrimSpace(p.input.Value()); v != "" {
				return p.begin(m, v)
			}
			return nil
		case "esc":
			p.input.Blur()
			return nil
		}
		in, cmd := p.input.Update(msg)
		p.input = in
		return cmd
	}
	switch k := &m.keys; {
	case key.Matches(msg, k.NewTrace), key.Matches(msg, k.Filter):
		p.input.CursorEnd()
		return p.input.Focus()
	case key.Matches(msg, k.StopTrace), key.Matches(msg, k.Back):
		p.stop()
	}
	return nil
}

var hopCols = []column{
	{title: "HOP", width: 3, right: true, prio: 0},
	{title: "ADDRESS", width: 30, prio: 0},
	{title: "LOSS", width: 6, right: true, prio: 0},
	{title: "SENT", width: 5, right: true, prio: 1},
	{title: "LAST", width: 8, right: true, prio: 0},
	{title: "AVG", width: 8, right: true, prio: 0},
	{title: "BEST", width: 8, right: true, prio: 0},
	{title: "WORST", width: 8, right: true, prio: 0},
}

func (p *tracePanel) cell(row, col int) string {
	h := p.hops[row]
	switch col {
	case 0:
		return fmt.Sprint(h.N)
	case 1:
		if len(h.Addrs) == 0 {
			return "???"
		}
		s := h.Addrs[0].String()
		if len(h.Names) > 0 && h.Names[0] != "" {
			s = h.Names[0] + " (" + s + ")"
		}
		if len(h.Addrs) > 1 {
			s += fmt.Sprintf(" (+%d)", len(h.Addrs)-1)
		}
		return s
	case 2:
		return fmt.Sprintf("%.0f%%", h.Loss*100)
	case 3:
		return fmt.Sprint(h.Sent)
	}
	return msText([...]time.Duration{h.Last, h.Avg, h.Best, h.Worst}[col-4])
}

func (p *tracePanel) rowStyle(row int) rowStyle {
	switch l := p.hops[row].Loss; {
	case l >= 0.5:
		return rowBad
	case l > 0:
		return rowWarn
	}
	return rowPlain
}

// traceTarget names what a trace goes to: a node prefix stands for the
// node's own address, which the engine traces.
func traceTarget(dst string) string {
	if p, err := netip.ParsePrefix(dst); err == nil && p.Addr().Is6() {
		return identity.NodeAddr(p.Masked()).String() + " (node of " + p.Masked().String() + ")"
	}
	return dst
}

func (p *tracePanel) view(m *Model, w, h int) string {
	st := &m.styles
	var b strings.Builder
	if p.input.Focused() {
		b.WriteString(p.input.View() + "\n" + st.Dim.Render("enter traces · esc cancels") + "\n")
	} else if p.dst == "" {
		b.WriteString(st.Dim.Render("press enter to trace a destination, or t on a peer in the Peers tab") + "\n")
	} else {
		// The keys (enter, s) are in the footer: the line is for the target.
		run := st.OK.Render("running")
		if !p.running {
			run = st.Dim.Render("stopped")
		}
		b.WriteString(fmt.Sprintf("trace to %s · %s", st.Bold.Render(traceTarget(p.dst)), run) + "\n")
	}
	if p.err != "" {
		b.WriteString(st.Error.Render("✗ "+p.err) + "\n")
	}
	if len(p.hops) == 0 {
		if p.running {
			b.WriteString(st.Dim.Render("  waiting for the first answers…"))
		}
		return b.String()
	}
	t := table{cols: hopCols, n: len(p.hops), cell: p.cell, style: p.rowStyle}
	room := max(h-strings.Count(b.String(), "\n"), 2) // lines left, titles included
	l := list{offset: max(len(p.hops)-(room-1), 0)}
	b.WriteString(t.view(l, w, room, st))
	return b.String()
}
