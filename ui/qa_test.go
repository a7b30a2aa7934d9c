package ui

import (
	tea "charm.land/bubbletea/v2"

	"errors"
	"strings"
	"testing"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// TestErrorStatusWraps: an error's advice, at the end of its message,
// stays on the screen of an 80-column terminal.
func TestErrorStatusWraps(t *testing.T) {
	m, _ := newModel(t, fake.Typical(t0), 80, 24)
	m.Update(resultMsg{what: "connect", err: errors.New(`"zzz" is not a prefix, nor an address Babel has a route for; type a prefix such as 2001:db8:42:7::/64`)})
	mustContain(t, m, "✗ connect:", "2001:db8:42:7::/64")
	m.Update(tickMsg(t0.Add(statusErrLife + 2*1e9)))
	if s := screen(t, m); strings.Contains(s, "✗ connect") {
		t.Fatalf("the error did not fade:\n%s", s)
	}
}

// TestLogsWrap: w wraps long log lines instead of cutting them, and
// back.
func TestLogsWrap(t *testing.T) {
	st := fake.Typical(t0)
	long := "peer 2001:db8:42:9::/64 sent a hello with a version this node does not know, so it keeps its own"
	st.Logs = append(st.Logs, state.LogRecord{Time: t0, Level: 0, Source: "node", Message: long})
	m, _ := newModel(t, st, 80, 24)
	press(m, "4")
	if s := screen(t, m); strings.Contains(s, "its own") {
		t.Fatalf("the long line is not cut:\n%s", s)
	}
	press(m, "w")
	mustContain(t, m, "w cut", "its own")
	press(m, "w")
	mustContain(t, m, "w wrap")
}

// TestTraceNamesTheNode: t on a peer traces to its node's address, which
// the trace says; s stops it.
func TestTraceNamesTheNode(t *testing.T) {
	m, _ := newModel(t, fake.Typical(t0), 80, 24)
	m.Update(press(m, "t")()) // the trace starts
	mustContain(t, m, "trace to 2001:db8:42:2::1 (node of 2001:db8:42:2::/64) · running")
	press(m, "s")
	mustContain(t, m, "(node of 2001:db8:42:2::/64) · stopped")
}

// TestRoutesNarrow: on 80 columns the routes tab keeps the next hop, says
// "from" in the destination, and marks conflicts in the margin.
func TestRoutesNarrow(t *testing.T) {
	m, _ := newModel(t, fake.Typical(t0), 80, 24)
	press(m, "2")
	mustContain(t, m, "VIA", "default from 2001:db8", " !2001:db8:42:4::/64     2001:db8:ff00::99")
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	s := screen(t, m)
	if strings.Contains(s, "!2001") || !strings.Contains(s, "conflict") || !strings.Contains(s, "FROM") {
		t.Fatalf("120 columns: the note column should say it:\n%s", s)
	}
}
