package ui

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// onKey routes a key: ctrl+c first, then an open prompt or input, then
// the global keys, then the active panel.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	if key.Matches(msg, m.keys.ForceQuit) {
		return tea.Quit
	}
	if m.prompt != nil {
		return m.prompt.key(m, msg)
	}
	if m.inputActive() {
		return m.panelKey(msg)
	}
	if m.doctor.open && !m.showHelp {
		if key.Matches(msg, m.keys.Help) {
			m.showHelp = true
			return nil
		}
		return m.doctor.key(m, msg)
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, m.keys.Help, m.keys.Back):
			m.showHelp = false
		case key.Matches(msg, m.keys.Quit):
			return tea.Quit
		}
		return nil
	}
	if cmd, ok := m.globalKey(msg); ok {
		return cmd
	}
	return m.panelKey(msg)
}

// inputActive reports whether a text input of the active panel has the
// keyboard, so that q, digits and the like are text, not commands.
func (m *Model) inputActive() bool {
	switch m.tab {
	case tabPeers:
		return m.peers.filter.active
	case tabRoutes:
		return m.routes.filter.active
	case tabBabel:
		return m.babel.filter.active
	case tabLogs:
		return m.logs.filter.active
	}
	return m.trace.input.Focused()
}

func (m *Model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit, true
	case key.Matches(msg, k.Help):
		m.showHelp = true
	case key.Matches(msg, k.Tab1, k.Tab2, k.Tab3, k.Tab4, k.Tab5):
		m.setTab(tab(msg.String()[0] - '1'))
	case key.Matches(msg, k.NextTab):
		m.setTab((m.tab + 1) % tabCount)
	case key.Matches(msg, k.PrevTab):
		m.setTab((m.tab + tabCount - 1) % tabCount)
	case key.Matches(msg, k.Doctor):
		m.doctor.open = true
		m.doctor.follow(m.findings())
	case key.Matches(msg, k.ApplyFix):
		m.confirmFix(true)
	case key.Matches(msg, k.RevertFix):
		m.confirmFix(false)
	case key.Matches(msg, k.Refresh):
		eng := m.eng
		return runCommand(m.ctx, "refetch network configuration", eng.RefreshNetworkConfig), true
	case key.Matches(msg, k.Rebootstrap):
		m.prompt = confirm("Re-bootstrap?", []string{"Asks the registry for a bootstrap peer and opens a tunnel to it,", "as a node that lost its way does; existing tunnels stay up."},
			func(m *Model, _ string) tea.Cmd { return runCommand(m.ctx, "re-bootstrap", m.eng.Rebootstrap) })
	default:
		return nil, false
	}
	return nil, true
}

func (m *Model) setTab(t tab) {
	m.tab = t
	m.refit()
}

// confirmFix is F and U outside the doctor's view: they act on the
// default-route finding, the one the banner shows.
func (m *Model) confirmFix(apply bool) {
	f, ok := m.defaultRouteFinding()
	if !ok {
		m.setStatus("no default-route problem to fix; D lists what the doctor found", false)
		return
	}
	m.confirmFixOf(f, apply)
}

// confirmFixOf shows the exact change before applying a fix of f, or
// what will be undone before reverting the one in force.
func (m *Model) confirmFixOf(f state.Finding, apply bool) {
	name := fixName(f)
	applied, isApplied := f.Applied()
	switch {
	case apply && isApplied:
		m.setStatus("a "+name+" fix is already in effect; U reverts it", false)
	case !apply && !isApplied:
		m.setStatus("no "+name+" fix is applied; F shows the fixes", false)
	case !apply:
		m.prompt = confirm("Revert the "+name+" fix?", revertLines(applied), m.fixCommand(applied.ID, false))
		m.prompt.code = applied.Undo
	case len(f.Fixes) == 0 && (f.Status == state.CheckOK || f.Status == state.CheckSkip):
		m.setStatus(f.Title+": nothing to fix", false)
	case len(f.Fixes) == 0:
		m.setStatus("the "+name+" check offers no fix: "+f.Explanation, true)
	case len(f.Fixes) == 1:
		fx := f.Fixes[0]
		m.prompt = confirm("Apply the "+name+" fix?", []string{f.Explanation, "", "This will " + fx.Summary + changeLead(fx)},
			m.fixCommand(fx.ID, true))
		m.prompt.code = nonEmpty(fx.Change)
	default:
		m.prompt = m.chooseFix(f)
	}
}

// fixName names a finding's fixes in a sentence: "the default-route fix".
func fixName(f state.Finding) string {
	if f.ID == state.CheckDefaultRoute {
		return "default-route"
	}
	return strings.ToLower(f.Title)
}

// chooseFix lists the offered fixes, each with its exact change; a digit
// applies one.
func (m *Model) chooseFix(f state.Finding) *prompt {
	ids := make([]string, len(f.Fixes))
	choices := make([]choice, len(f.Fixes))
	for i, fx := range f.Fixes {
		ids[i], choices[i] = fx.ID, choice{text: fx.Summary, code: fx.Change}
	}
	title := "Fix the " + strings.ToLower(f.Title)
	if f.ID == state.CheckDefaultRoute {
		title = "Fix the default route"
	}
	return &prompt{title: title, lines: []string{f.Explanation}, choices: choices,
		accept: func(m *Model, v string) tea.Cmd {
			i, err := strconv.Atoi(v)
			if err != nil || i < 1 || i > len(ids) {
				return nil
			}
			return m.fixCommand(ids[i-1], true)(m, "")
		}}
}

// changeLead ends the sentence that introduces a fix's exact change.
func changeLead(fx state.Fix) string {
	if fx.Change == "" {
		return "."
	}
	return ", with:"
}

func nonEmpty(s ...string) []string {
	return slices.DeleteFunc(s, func(v string) bool { return v == "" })
}

// revertLines introduce what a revert will do: the exact commands when
// the node says (prompt code lines), else the changes it made.
func revertLines(fx state.Fix) []string {
	lines := []string{"In force: " + fx.Summary}
	if len(fx.Undo) > 0 {
		return append(lines, "", "This undoes it with:")
	}
	if len(fx.Changes) > 0 {
		lines = append(lines, "", "This undoes:")
	}
	for _, c := range fx.Changes {
		l := "  " + c.Action + " " + c.Object
		if c.Before != "" || c.After != "" {
			l += fmt.Sprintf(": %s → %s", orDash(c.After != "", c.After), orDash(c.Before != "", c.Before))
		}
		lines = append(lines, l)
	}
	return lines
}

func (m *Model) fixCommand(id string, apply bool) func(*Model, string) tea.Cmd {
	return func(m *Model, _ string) tea.Cmd {
		eng := m.eng
		if apply {
			return runCommand(m.ctx, "apply fix "+id, func(ctx context.Context) error { return eng.ApplyFix(ctx, id) })
		}
		return runCommand(m.ctx, "revert fix "+id, func(ctx context.Context) error { return eng.RevertFix(ctx, id) })
	}
}

func (m *Model) panelKey(msg tea.KeyPressMsg) tea.Cmd {
	switch m.tab {
	case tabPeers:
		return m.peers.key(m, msg)
	case tabRoutes:
		return m.routes.key(m, msg)
	case tabBabel:
		return m.babel.key(m, msg)
	case tabLogs:
		return m.logs.key(m, msg)
	}
	return m.trace.key(m, msg)
}

// forwardToInput passes non-key messages (cursor blinks) to the focused
// input.
func (m *Model) forwardToInput(msg tea.Msg) tea.Cmd {
	if m.tab == tabTrace && m.trace.input.Focused() {
		in, cmd := m.trace.input.Update(msg)
		m.trace.input = in
		return cmd
	}
	return nil
}

// tableKeys are the keys every table panel takes alike: typing into its
// open filter, moving the cursor, / to filter, esc to clear the filter.
type tableKeys struct {
	filter    *filter
	list      *list
	n, height int    // rows, and rows on screen
	rebuild   func() // the filter text changed
	moved     func() // the cursor moved; may be nil
}

// tableKey handles msg if it is one of t's keys, and reports whether it
// was.
func (m *Model) tableKey(msg tea.KeyPressMsg, t tableKeys) (tea.Cmd, bool) {
	if t.filter.active {
		changed, cmd := t.filter.key(msg)
		if changed {
			t.rebuild()
		}
		return cmd, true
	}
	if m.moveKey(msg, t.list, t.n, t.height) {
		if t.moved != nil {
			t.moved()
		}
		return nil, true
	}
	switch {
	case key.Matches(msg, m.keys.Filter):
		return t.filter.open(), true
	case key.Matches(msg, m.keys.Back):
		if t.filter.clear() {
			t.rebuild()
		}
		return nil, true
	}
	return nil, false
}

// moveKey applies the shared movement keys to l; it reports whether msg
// was one.
func (m *Model) moveKey(msg tea.KeyPressMsg, l *list, n, height int) bool {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Up):
		l.move(-1, n, height)
	case key.Matches(msg, k.Down):
		l.move(1, n, height)
	case key.Matches(msg, k.PageUp):
		l.move(-height, n, height)
	case key.Matches(msg, k.PageDown):
		l.move(height, n, height)
	case key.Matches(msg, k.Top):
		l.move(-n, n, height)
	case key.Matches(msg, k.Bottom):
		l.move(n, n, height)
	default:
		return false
	}
	return true
}

// parsePrefix reads a peer prefix. A bare address stands for the prefix
// of the Babel route that covers it, since re6st prefixes vary in length.
func parsePrefix(st *state.State, s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	var best netip.Prefix
	for _, r := range st.Routes {
		if r.Prefix.Bits() > best.Bits() && r.Prefix.Contains(a) {
			best = r.Prefix
		}
	}
	return best, best.IsValid() && best.Bits() > 0
}
