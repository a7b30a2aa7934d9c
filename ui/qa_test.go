package ui

import (
	tea "charm.land/bubbletea/v2"
	"fmt"

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

// TestDoctorKeys: D lists the doctor's findings, problems first; enter
// shows one whole; F and U act on the selected one; esc goes back, then
// closes; a tab key closes it and switches.
func TestDoctorKeys(t *testing.T) {
	m, _ := typical(t)
	mustContain(t, m, "1 problem (D)")
	press(m, "D")
	mustContain(t, m, "Doctor: 1 problem", "✗ fail  Default route", "✓ ok    Firewall", "- skip  NetworkManager")
	press(m, "enter")
	mustContain(t, m, "net.ipv6.conf.eth0.accept_ra = 1", "fix re6st-default (offered)", "ip -6 route add default via")
	press(m, "esc")
	press(m, "down", "F") // the forwarding check: fine, nothing to fix
	if m.prompt != nil || !strings.Contains(m.status, "nothing to fix") {
		t.Fatalf("F on a check that passed: prompt %v, status %q", m.prompt, m.status)
	}
	run(m, press(m, "up", "F", "1"))
	if f, _ := m.defaultRouteFinding(); !hasApplied(f) {
		t.Fatalf("F in the doctor's view did not apply; status %q", m.status)
	}
	mustContain(t, m, "Default route (fixed)")
	press(m, "U")
	mustContain(t, m, "Revert the default-route fix?")
	press(m, "n", "esc")
	if m.doctor.open {
		t.Fatal("esc did not close the doctor's view")
	}
	press(m, "D", "3")
	if m.doctor.open || m.tab != tabBabel {
		t.Fatalf("3 in the doctor's view: open %v, tab %d", m.doctor.open, m.tab)
	}
}

// TestDoctorSelectionFollowsTheCheck: findings reorder as their status
// changes (problems first); the selection stays on its check.
func TestDoctorSelectionFollowsTheCheck(t *testing.T) {
	m, _ := typical(t)
	press(m, "D", "down", "down", "down") // Firewall, Certificate… the fourth: Certificate
	f, _ := m.doctor.selected(m)
	if f.ID != "certificate" {
		t.Fatalf("selected %s, want certificate", f.ID)
	}
	f.Status, f.Explanation = state.CheckWarn, "certificate expires in 5 days: renewal failed"
	m.Update(eventMsg{state.Event{Kind: state.KindFinding, Finding: &f}})
	if g, _ := m.doctor.selected(m); g.ID != "certificate" || m.doctor.list.cursor != 1 {
		t.Fatalf("after the change: selected %s at %d, want certificate at 1", g.ID, m.doctor.list.cursor)
	}
	mustContain(t, m, "Doctor: 2 problems", "▸ ▲ warn  Certificate")
}

// TestLogSource: OpenVPN's records name their tunnel in the source
// column, the node's records the part of the node that wrote them.
func TestLogSource(t *testing.T) {
	for _, tc := range []struct {
		r      state.LogRecord
		source string
		rest   string
	}{
		{state.LogRecord{Source: "openvpn", Attrs: []state.Attr{{Key: "component", Value: "tunnels"}, {Key: "tunnel", Value: "re6stnet1"}}}, "openvpn re6stnet1", ""},
		{state.LogRecord{Source: "node", Attrs: []state.Attr{{Key: "component", Value: "tunnel-manager"}, {Key: "peer", Value: "2/16"}}}, "tunnel-manager", "peer=2/16"},
		{state.LogRecord{Source: "node", Attrs: []state.Attr{{Key: "prefix", Value: "1/16"}}}, "node", "prefix=1/16"},
		{state.LogRecord{Source: "babel", Attrs: []state.Attr{{Key: "component", Value: "x"}}}, "babel", "component=x"},
	} {
		source, rest := logSource(&tc.r)
		if source != tc.source || attrText(rest) != tc.rest {
			t.Errorf("%+v: source %q, rest %q; want %q, %q", tc.r, source, attrText(rest), tc.source, tc.rest)
		}
	}
}

// TestBannerNamesBothRoutes: on 80 columns the banner keeps the whole
// sentence of the demo's conflict, down to re6st's next hop.
func TestBannerNamesBothRoutes(t *testing.T) {
	st := fake.Typical(t0)
	st.Findings[0].Status = state.CheckWarn
	st.Findings[0].Explanation = "default route via 2001:db8:ff00::1 dev eth0 (static) takes all traffic not from 2001:db8:42::/48; re6st's goes via fe80::9474:72ff:fea4:acb6 dev re6stnet1"
	m, _ := newModel(t, st, 80, 24)
	mustContain(t, m, "fe80::9474:72ff:fea4:acb6 dev re6stnet1", "PEER")
}

// TestRoutesFilterMatchesWhatIsShown: the filter searches the routes'
// fields as the table shows them, not Go's words for a missing source
// or next hop ("invalid Prefix").
func TestRoutesFilterMatchesWhatIsShown(t *testing.T) {
	m, _ := typical(t)
	press(m, "2", "/")
	typeText(m, "invalid")
	if n := len(m.routes.rows()); n != 0 {
		t.Fatalf("/invalid shows %d routes", n)
	}
	press(m, "esc", "/")
	typeText(m, "FE80::216:3E00:0:3")
	if n := len(m.routes.rows()); n == 0 {
		t.Fatal("an upper-case next hop matches nothing")
	}
}

// TestDoctorDetailScrolls: a finding longer than the screen scrolls with
// the keys that move in lists, and says what lies beyond.
func TestDoctorDetailScrolls(t *testing.T) {
	m, _ := typical(t)
	f := &m.st.Findings[0]
	for i := range 40 {
		f.Details = append(f.Details, fmt.Sprintf("detail line %02d", i))
	}
	press(m, "D", "enter")
	mustContain(t, m, "detail line 00", "more lines (j)")
	if s := screen(t, m); strings.Contains(s, "detail line 39") {
		t.Fatalf("the whole finding fits on a 30-line screen?\n%s", s)
	}
	press(m, "G")
	mustContain(t, m, "detail line 39", "more lines (k)")
	press(m, "g")
	mustContain(t, m, "detail line 00")
	press(m, "esc", "esc", "D", "enter")
	mustContain(t, m, "detail line 00") // a finding opens at its top
}
