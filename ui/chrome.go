package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"re6st-tui/node/state"
)

// truncate cuts a styled line to w cells.
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// headerView is two lines: who we are and how we are doing, then where
// we live and how peers reach us. What does not fit the width goes, least
// useful first; the certificate goes right of whichever line has room, or
// takes its chance with the rest of the second line.
func (m *Model) headerView() string {
	st, id := &m.styles, m.st.Identity
	prefix := "no prefix yet"
	if id.Prefix.IsValid() {
		prefix = id.Prefix.String()
	}
	top := []segment{{st.Title.Render("re6st-tui"), 2}, {st.Bold.Render(prefix), 0}, {m.phaseView(), 0}}
	bottom := []segment{{st.Dim.Render("addr " + orDash(id.Address.IsValid(), id.Address.String())), 0}}
	if id.IPv4.IsValid() {
		bottom = append(bottom, segment{st.Dim.Render("ipv4 " + id.IPv4.String()), 1})
	}
	if u := m.upnpSegment(); u.text != "" {
		bottom = append(bottom, u)
	}
	bottom = append(bottom, segment{st.Dim.Render("registry " + orDash(id.Registry != "", id.Registry)), 3},
		segment{st.Dim.Render("net " + orDash(id.Network.IsValid(), id.Network.String())), 4})
	cert := m.certSegment()
	cw := lipgloss.Width(cert.text)
	l1, l2 := fitSegments(top, m.width), fitSegments(bottom, m.width)
	switch {
	case lipgloss.Width(joinSegments(top))+2+cw <= m.width:
		l1 = joinSegments(top)
		l1 += strings.Repeat(" ", m.width-lipgloss.Width(l1)-cw) + cert.text
	case lipgloss.Width(joinSegments(bottom))+2+cw <= m.width:
		l2 = joinSegments(bottom)
		l2 += strings.Repeat(" ", m.width-lipgloss.Width(l2)-cw) + cert.text
	default:
		l2 = fitSegments(append(bottom, cert), m.width)
	}
	return truncate(l1, m.width) + "\n" + truncate(l2, m.width)
}

// segment is a piece of a header line; the highest prio numbers go first
// when the line is too long.
type segment struct {
	text string
	prio int
}

// joinSegments puts segs on a line.
func joinSegments(segs []segment) string {
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = s.text
	}
	return strings.Join(parts, "  ")
}

// fitSegments joins segs, dropping the least useful until they fit width.
func fitSegments(segs []segment, width int) string {
	keep := slices.Clone(segs)
	for {
		line := joinSegments(keep)
		if lipgloss.Width(line) <= width || len(keep) == 1 {
			return line
		}
		worst := 0
		for i, s := range keep {
			if s.prio >= keep[worst].prio {
				worst = i
			}
		}
		keep = slices.Delete(keep, worst, worst+1)
	}
}

func (m *Model) phaseView() string {
	s, st := m.st.Status, &m.styles
	var out string
	switch s.Phase {
	case state.Connected:
		out = st.OK.Render("● connected")
	case state.Degraded:
		out = st.Warn.Render("▲ degraded")
	case state.Stopped:
		out = st.Bad.Render("■ stopped")
	default:
		out = st.Warn.Render("◌ " + orDash(s.Phase != "", string(s.Phase)))
	}
	if m.gone {
		out = st.Bad.Render("■ node gone")
	}
	if s.Reason != "" {
		out += ": " + s.Reason
	}
	return out
}

// certSegment is the certificate's expiry, which outranks everything but
// the address once it is near.
func (m *Model) certSegment() segment {
	exp := m.st.Identity.CertExpiry
	if exp.IsZero() {
		return segment{"cert -", 5}
	}
	left := exp.Sub(m.now)
	text := fmt.Sprintf("cert %s (%s)", exp.UTC().Format("2006-01-02"), days(left))
	if left < 14*24*time.Hour {
		return segment{m.styles.Bad.Render(text), 0}
	}
	return segment{text, 2}
}

func days(d time.Duration) string {
	if d < 0 {
		return "expired"
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func orDash(ok bool, s string) string {
	if !ok {
		return "-"
	}
	return s
}

func (m *Model) tabsView() string {
	var b strings.Builder
	for t := range tabCount {
		label := fmt.Sprintf("%d %s%s", t+1, tabNames[t], m.tabCount(t))
		if t == m.tab {
			b.WriteString(m.styles.TabActive.Render("[" + label + "]"))
		} else {
			b.WriteString(m.styles.Tab.Render(" " + label + " "))
		}
		b.WriteByte(' ')
	}
	return truncate(strings.TrimRight(b.String(), " "), m.width)
}

func (m *Model) tabCount(t tab) string {
	switch t {
	case tabPeers:
		return fmt.Sprintf(" %d", len(m.st.Tunnels))
	case tabRoutes:
		return fmt.Sprintf(" %d", len(m.st.Kernel))
	case tabBabel:
		if n := m.babel.check.missing; n > 0 {
			return fmt.Sprintf(" !%d", n)
		}
	}
	return ""
}

// defaultRouteFinding returns the default-route finding worth a banner:
// one that fails or warns, or whose fix is in force.
func (m *Model) defaultRouteFinding() (state.Finding, bool) {
	for _, f := range m.st.Findings {
		if f.ID != state.CheckDefaultRoute {
			continue
		}
		if _, applied := f.Applied(); applied || f.Status == state.CheckFail || f.Status == state.CheckWarn {
			return f, true
		}
	}
	return state.Finding{}, false
}

func (m *Model) bannerText() string {
	f, ok := m.defaultRouteFinding()
	if !ok {
		return ""
	}
	if fx, applied := f.Applied(); applied {
		return "✓ U revert │ fix in effect: " + fx.Summary
	}
	if len(f.Fixes) == 0 {
		return "⚠ " + f.Explanation
	}
	return "⚠ F fix · U revert │ " + f.Explanation
}

// bannerLines wraps the banner to at most three lines of the screen
// width: the doctor's sentence names two routes, which take three lines of
// 80 columns.
func (m *Model) bannerLines() []string {
	t := m.bannerText()
	if t == "" {
		return nil
	}
	lines := strings.Split(lipgloss.Wrap(t, m.width, " "), "\n")
	if len(lines) > 3 {
		lines = lines[:3]
	}
	return lines
}

func (m *Model) bannerView() string {
	lines := m.bannerLines()
	if len(lines) == 0 {
		return ""
	}
	style := m.styles.Banner
	if f, _ := m.defaultRouteFinding(); hasApplied(f) {
		style = m.styles.BannerOK
	}
	for i, l := range lines {
		lines[i] = style.Render(pad(strings.TrimRight(l, " "), m.width, false))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) statusView() string { return strings.Join(m.statusLines(), "\n") }

// statusLines is the status line: the summary, or the outcome of the
// last command. An error may take a second line, for what to do is at
// its end.
func (m *Model) statusLines() []string {
	switch {
	case m.status == "":
		return []string{m.styles.Dim.Render(truncate(m.summary(), m.width))}
	case !m.statusErr:
		return []string{truncate("✓ "+m.status, m.width)}
	}
	lines := strings.Split(lipgloss.Wrap("✗ "+m.status, max(m.width, 10), " "), "\n")
	if len(lines) > 2 {
		lines = lines[:2]
		lines[1] = truncate(lines[1]+" …", m.width)
	}
	for i, l := range lines {
		lines[i] = m.styles.Error.Render(truncate(strings.TrimRight(l, " "), m.width))
	}
	return lines
}

// summary is the status line when there is nothing to report.
func (m *Model) summary() string {
	r := m.st.Registry
	reach := "registry unreachable"
	if r.Reachable {
		reach = "registry ok"
	}
	if r.LastError != "" {
		reach += ": " + r.LastError
	}
	doctor := ""
	if n := m.problems(); n > 0 {
		doctor = fmt.Sprintf("%s (D) · ", plural(n, "problem"))
	}
	return fmt.Sprintf("%s%s · %s · %s · %s · %s", doctor, plural(len(m.st.Tunnels), "tunnel"), plural(len(m.st.Neighbours), "neighbour"),
		plural(len(m.st.Routes), "babel route"), plural(r.CachedPeers, "cached peer"), reach)
}

func (m *Model) helpView() string {
	return truncate(m.help.ShortHelpView(m.keyHelp().ShortHelp()), m.width)
}

// keyHelp is the keys of what the screen shows.
func (m *Model) keyHelp() keyHelp {
	if m.doctor.open {
		return m.keys.doctorHelp()
	}
	return m.keys.helpFor(m.tab)
}

func hasApplied(f state.Finding) bool {
	_, ok := f.Applied()
	return ok
}
