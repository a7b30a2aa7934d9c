package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// doctorView is the doctor's findings, D from any tab: every check the
// node runs, problems first, and the selected one's details and fixes.
// F and U there act on the selected finding.
type doctorView struct {
	open   bool
	detail bool // enter opened the selected finding
	scroll int  // first line of the detail shown: a finding may be long
	list   list
	height int
	// sel is the selected check: findings move as their status changes,
	// and the selection moves with them.
	sel string
}

// follow puts the cursor on the selected check in fs, or selects the
// cursor's when that check is gone.
func (d *doctorView) follow(fs []state.Finding) {
	if i := slices.IndexFunc(fs, func(f state.Finding) bool { return f.ID == d.sel }); i >= 0 {
		d.list.cursor = i
	}
	d.list.fit(len(fs), d.height-2)
	if d.list.cursor < len(fs) {
		d.sel = fs[d.list.cursor].ID
	}
}

// severity orders findings: what is broken first.
func severity(s state.CheckStatus) int {
	switch s {
	case state.CheckFail:
		return 0
	case state.CheckError:
		return 1
	case state.CheckWarn:
		return 2
	case state.CheckOK:
		return 3
	}
	return 4
}

// findings are the state's findings, problems first, then in the
// doctor's order.
func (m *Model) findings() []state.Finding {
	fs := slices.Clone(m.st.Findings)
	slices.SortStableFunc(fs, func(a, b state.Finding) int { return cmp.Compare(severity(a.Status), severity(b.Status)) })
	return fs
}

// problems counts the findings that fail, warn or could not run.
func (m *Model) problems() int {
	n := 0
	for _, f := range m.st.Findings {
		if severity(f.Status) <= 2 {
			n++
		}
	}
	return n
}

func (d *doctorView) selected(m *Model) (state.Finding, bool) {
	fs := m.findings()
	d.follow(fs)
	if d.list.cursor < len(fs) {
		return fs[d.list.cursor], true
	}
	return state.Finding{}, false
}

func (d *doctorView) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	k := &m.keys
	n := len(m.st.Findings)
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Back, k.Doctor):
		if d.detail && !key.Matches(msg, k.Doctor) {
			d.detail = false
		} else {
			d.open, d.detail = false, false
		}
	case key.Matches(msg, k.Enter):
		d.detail, d.scroll = !d.detail, 0
	case key.Matches(msg, k.ApplyFix, k.RevertFix):
		if f, ok := d.selected(m); ok {
			m.confirmFixOf(f, key.Matches(msg, k.ApplyFix))
		}
	case key.Matches(msg, k.Tab1, k.Tab2, k.Tab3, k.Tab4, k.Tab5, k.NextTab, k.PrevTab):
		d.open, d.detail = false, false
		cmd, _ := m.globalKey(msg)
		return cmd
	case d.detail:
		// The keys that move in lists scroll the finding's text; the
		// view keeps the position in range.
		page := max(1, d.height-4)
		switch {
		case key.Matches(msg, k.Up):
			d.scroll--
		case key.Matches(msg, k.Down):
			d.scroll++
		case key.Matches(msg, k.PageUp):
			d.scroll -= page
		case key.Matches(msg, k.PageDown):
			d.scroll += page
		case key.Matches(msg, k.Top):
			d.scroll = 0
		case key.Matches(msg, k.Bottom):
			d.scroll = 1 << 20
		}
		d.scroll = max(0, d.scroll)
	default:
		d.follow(m.findings())
		if m.moveKey(msg, &d.list, n, d.height-2) && d.list.cursor < n {
			d.sel = m.findings()[d.list.cursor].ID
		}
	}
	return nil
}

func statusMark(st *Styles, s state.CheckStatus) string {
	switch s {
	case state.CheckFail:
		return st.Bad.Render("✗ fail ")
	case state.CheckError:
		return st.Bad.Render("! error")
	case state.CheckWarn:
		return st.Warn.Render("▲ warn ")
	case state.CheckOK:
		return st.OK.Render("✓ ok   ")
	}
	return st.Dim.Render("- skip ")
}

func (d *doctorView) view(m *Model, w, h int) string {
	st := &m.styles
	fs := m.findings()
	if len(fs) == 0 {
		return st.Bold.Render("Doctor") + "  " + st.Dim.Render("esc closes") + "\n\n" +
			st.Dim.Render("  the node has not run its checks yet (it does at start, then every minute)")
	}
	if d.detail && d.list.cursor < len(fs) {
		return d.scrolled(m, d.detailView(m, fs[d.list.cursor], w), h)
	}
	var b strings.Builder
	head := "Doctor: nothing wrong"
	if n := m.problems(); n > 0 {
		head = "Doctor: " + plural(n, "problem")
	}
	b.WriteString(st.Bold.Render(head) + "  " + st.Dim.Render("enter details · F fix · U revert · esc closes") + "\n")
	t := table{cols: doctorCols, n: len(fs), cursor: true, cell: func(r, c int) string {
		f := fs[r]
		switch c {
		case 0:
			return statusMark(st, f.Status)
		case 1:
			title := f.Title
			if _, ok := f.Applied(); ok {
				title += " (fixed)"
			}
			return title
		}
		return f.Explanation
	}}
	b.WriteString(t.view(d.list, w, h-1, st))
	return b.String()
}

var doctorCols = []column{
	{title: "STATUS", width: 7, prio: 0},
	{title: "CHECK", width: 30, prio: 0},
	{title: "FINDING", width: 20, prio: 0, fill: true},
}

// detailView shows one finding whole: what is wrong, the facts, and each
// fix with its exact change.
func (d *doctorView) detailView(m *Model, f state.Finding, w int) string {
	st := &m.styles
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s  %s\n\n", statusMark(st, f.Status), st.Bold.Render(f.Title), st.Dim.Render("esc back · F fix · U revert"))
	b.WriteString(hang(f.Explanation, w, "") + "\n")
	for _, l := range f.Details {
		b.WriteString(st.Dim.Render("  "+hang(l, w-4, "    ")) + "\n")
	}
	for _, fx := range f.Fixes {
		where := "offered"
		if fx.Applied {
			where = st.OK.Render("in effect")
		}
		fmt.Fprintf(&b, "\nfix %s (%s)\n  %s\n", st.Bold.Render(fx.ID), where, hang(fx.Summary, w-2, "  "))
		switch {
		case fx.Applied && len(fx.Undo) > 0:
			b.WriteString(st.Dim.Render("  U undoes it with:") + "\n")
			for _, u := range fx.Undo {
				b.WriteString("    " + st.Key.Render(u) + "\n")
			}
		case !fx.Applied && fx.Change != "":
			b.WriteString("    " + st.Key.Render(fx.Change) + "\n")
		}
	}
	return b.String()
}

// scrolled shows h lines of text from the scroll position, the first
// (title) line kept, with marks where more lies above or below.
func (d *doctorView) scrolled(m *Model, text string, h int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) <= h || h < 4 {
		d.scroll = 0
		return text
	}
	body, room := lines[1:], h-3 // title, and a mark line above and below
	d.scroll = max(0, min(d.scroll, len(body)-room))
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	if d.scroll > 0 {
		b.WriteString(m.styles.Dim.Render(fmt.Sprintf("  ↑ %d more lines (k)", d.scroll)))
	}
	b.WriteString("\n")
	for _, l := range body[d.scroll : d.scroll+room] {
		b.WriteString(l + "\n")
	}
	if rest := len(body) - d.scroll - room; rest > 0 {
		b.WriteString(m.styles.Dim.Render(fmt.Sprintf("  ↓ %d more lines (j)", rest)))
	}
	return b.String()
}
