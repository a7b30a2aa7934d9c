package ui

import (
	"charm.land/lipgloss/v2"
	"fmt"
	"log/slog"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
)

// logLevels are the minimum levels `v` cycles through.
var logLevels = []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

type logsPanel struct {
	idx    []int // indexes into state.Logs that pass the filters
	list   list  // cursor = the last line shown
	level  int   // index into logLevels
	follow bool  // stick to the newest line
	unseen int   // lines arrived while paused
	wrap   bool  // long lines go on, indented, instead of being cut
	filter filter
	height int
}

func newLogsPanel() logsPanel {
	return logsPanel{filter: newFilter(), level: 1, follow: true, height: 10}
}

func (p *logsPanel) rebuild(m *Model) {
	before := len(p.idx)
	min := logLevels[p.level]
	p.idx = keep(p.idx, len(m.st.Logs), func(i int) bool {
		r := &m.st.Logs[i]
		return r.Level >= min && (p.filter.empty() || p.filter.match(r.Message, r.Source, attrText(r.Attrs)))
	})
	if !p.follow && len(p.idx) > before {
		p.unseen += len(p.idx) - before
	}
	p.fit(p.height)
}

// keep appends to dst[:0] the indexes below n that ok accepts.
func keep(dst []int, n int, ok func(int) bool) []int {
	dst = dst[:0]
	for i := range n {
		if ok(i) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (p *logsPanel) fit(height int) {
	p.height = height
	n := len(p.idx)
	if p.follow {
		p.list.cursor = n - 1
	}
	p.list.fit(n, p.tableHeight())
}

func (p *logsPanel) tableHeight() int {
	h := p.height - 1 // mode line
	if p.filter.active || p.filter.input.Value() != "" {
		h--
	}
	return max(h, 1)
}

func (p *logsPanel) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.tableKey(msg, tableKeys{filter: &p.filter, list: &p.list, n: len(p.idx), height: p.tableHeight(),
		rebuild: func() { p.rebuild(m) }, moved: p.moved}); ok {
		return cmd
	}
	switch k := &m.keys; {
	case key.Matches(msg, k.Level):
		p.level = (p.level + 1) % len(logLevels)
		p.rebuild(m)
	case key.Matches(msg, k.Follow):
		p.follow = !p.follow
		p.unseen = 0
		p.fit(p.height)
	case key.Matches(msg, k.Wrap):
		p.wrap = !p.wrap
	}
	return nil
}

// moved follows the cursor: scrolling up pauses, reaching the bottom
// follows again.
func (p *logsPanel) moved() {
	p.follow = p.list.cursor >= len(p.idx)-1
	if p.follow {
		p.unseen = 0
	}
}

// logSource is what the source column says of r, and the attributes
// left for the end of the line: the node's records name the part of the
// node that wrote them (component), and OpenVPN's the tunnel.
func logSource(r *state.LogRecord) (string, []state.Attr) {
	source := r.Source
	var rest []state.Attr
	for _, a := range r.Attrs {
		switch {
		case a.Key == "tunnel" && r.Source == "openvpn":
			source = "openvpn " + a.Value
		case a.Key == "component" && (r.Source == "node" || r.Source == "openvpn"):
			if r.Source == "node" {
				source = a.Value
			}
		default:
			rest = append(rest, a)
		}
	}
	return source, rest
}

func attrText(as []state.Attr) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.Key + "=" + a.Value)
	}
	return b.String()
}

func levelText(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN "
	case l >= slog.LevelInfo:
		return "INFO "
	}
	return "DEBUG"
}

func (p *logsPanel) view(m *Model, w, h int) string {
	st := &m.styles
	var b strings.Builder
	mode := st.OK.Render("following")
	if !p.follow {
		mode = st.Warn.Render(fmt.Sprintf("paused, %d new", p.unseen))
	}
	wrap := "w wrap"
	if p.wrap {
		wrap = "w cut"
	}
	fmt.Fprintf(&b, "%s · level ≥ %s (v) · f follow/pause · %s · %s\n", mode, strings.TrimSpace(levelText(logLevels[p.level])), wrap, plural(len(p.idx), "line"))
	if l := p.filter.line(m); l != "" {
		b.WriteString(l + "\n")
	}
	if len(p.idx) == 0 {
		b.WriteString(st.Dim.Render("  no log line at this level" + map[bool]string{true: " matches the filter", false: " yet"}[p.filter.text() != ""]))
		return b.String()
	}
	// The cursor's record is the last on screen; records above it fill
	// the rows left, each one line, or more when wrapped.
	rows := p.tableHeight()
	var lines []string
	for i := min(p.list.cursor, len(p.idx)-1); i >= 0 && len(lines) < rows; i-- {
		lines = append(p.recordLines(m, &m.st.Logs[p.idx[i]], w), lines...)
	}
	if len(lines) > rows {
		lines = lines[len(lines)-rows:]
	}
	b.WriteString(strings.Join(lines, "\n"))
	return b.String()
}

// logIndent is where a wrapped record's next lines start: under its
// message, past the time, level and source ("openvpn re6stnet-tcp").
const logIndent = 36

// recordLines renders one record on a line cut to w, or wrapped.
func (p *logsPanel) recordLines(m *Model, r *state.LogRecord, w int) []string {
	st := &m.styles
	lvl := levelText(r.Level)
	switch {
	case r.Level >= slog.LevelError:
		lvl = st.Bad.Render(lvl)
	case r.Level >= slog.LevelWarn:
		lvl = st.Warn.Render(lvl)
	case r.Level < slog.LevelInfo:
		lvl = st.Dim.Render(lvl)
	}
	source, attrs := logSource(r)
	head := fmt.Sprintf("%s %s %-20s ", r.Time.Format("15:04:05"), lvl, truncate(source, 20))
	text := r.Message
	if a := attrText(attrs); a != "" {
		text += " " + st.Dim.Render(a)
	}
	if !p.wrap || w < logIndent+20 {
		return []string{truncate(head+text, w)}
	}
	lines := strings.Split(lipgloss.Wrap(text, w-logIndent, " "), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = head + lines[i]
		} else {
			lines[i] = strings.Repeat(" ", logIndent) + lines[i]
		}
	}
	return lines
}
