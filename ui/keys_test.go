package ui

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// run executes a command the dashboard returned (one that does not wait
// on a timer) and feeds its message back, then applies engine events.
func run(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	m.Update(cmd())
	drain(m)
}

func typical(t *testing.T) (*Model, *fake.Engine) {
	m, eng := newModel(t, fake.Typical(t0), 100, 30)
	return m, eng
}

func TestQuitKeys(t *testing.T) {
	t.Run("q", func(t *testing.T) {
		m, _ := typical(t)
		if !isQuit(press(m, "q")) {
			t.Fatal("q did not quit")
		}
	})
	t.Run("ctrl+c-in-prompt", func(t *testing.T) {
		m, _ := typical(t)
		press(m, "c")
		if m.prompt == nil {
			t.Fatal("c opened no prompt")
		}
		if !isQuit(press(m, "ctrl+c")) {
			t.Fatal("ctrl+c did not quit from a prompt")
		}
	})
	t.Run("q-in-filter-is-text", func(t *testing.T) {
		m, _ := typical(t)
		press(m, "/")
		if isQuit(press(m, "q")) {
			t.Fatal("q quit while typing a filter")
		}
		if got := m.peers.filter.input.Value(); got != "q" {
			t.Fatalf("filter = %q, want q", got)
		}
	})
}

func TestTabKeys(t *testing.T) {
	m, _ := typical(t)
	for i, k := range []string{"2", "3", "4", "5", "1"} {
		press(m, k)
		if want := tab((i + 1) % 5); m.tab != want {
			t.Errorf("after %s: tab %d, want %d", k, m.tab, want)
		}
	}
	press(m, "tab")
	if m.tab != tabRoutes {
		t.Errorf("tab: %d, want routes", m.tab)
	}
	press(m, "shift+tab", "shift+tab")
	if m.tab != tabTrace {
		t.Errorf("shift+tab twice: %d, want trace", m.tab)
	}
}

func TestHelpKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "?")
	mustContain(t, m, "Keys on the Peers tab", "quit now", "shift+tab", "revert fix")
	press(m, "2") // ignored while help is open
	if m.tab != tabPeers || !m.showHelp {
		t.Fatal("a key other than ?/esc/q acted under the help screen")
	}
	press(m, "esc")
	if m.showHelp {
		t.Fatal("esc did not close help")
	}
	press(m, "?", "?")
	if m.showHelp {
		t.Fatal("? did not toggle help off")
	}
}

func TestFixKeys(t *testing.T) {
	m, _ := typical(t)
	mustContain(t, m, "F fix")
	press(m, "U")
	if m.prompt != nil || !strings.Contains(m.status, "no default-route fix is applied") {
		t.Fatalf("U before F: prompt %v, status %q", m.prompt, m.status)
	}
	press(m, "F")
	mustContain(t, m, "Fix the default route", "accept_ra=2", "route all traffic through re6st")
	press(m, "9") // no such fix: ignored
	if m.prompt == nil {
		t.Fatal("a digit out of range closed the chooser")
	}
	press(m, "esc")
	if m.prompt != nil {
		t.Fatal("esc did not cancel")
	}
	run(m, press(m, "F", "1"))
	f, _ := m.defaultRouteFinding()
	if fx, ok := f.Applied(); !ok || fx.ID != "accept-ra-2:eth0" {
		t.Fatalf("fix 1 not applied; status %q", m.status)
	}
	mustContain(t, m, "✓ U revert │ fix in effect: set net.ipv6.conf.eth0.accept_ra=2")
	press(m, "F")
	if m.prompt != nil {
		t.Fatal("F offered a fix while one is in effect")
	}
	press(m, "U")
	mustContain(t, m, "This undoes it with:", "  sysctl -w net.ipv6.conf.eth0.accept_ra=1")
	run(m, press(m, "y"))
	if f, _ := m.defaultRouteFinding(); hasApplied(f) {
		t.Fatal("fix not reverted")
	}
	run(m, press(m, "F", "2"))
	if f, _ := m.defaultRouteFinding(); !hasApplied(f) {
		t.Fatalf("fix 2 not applied; status %q", m.status)
	}
	press(m, "2")
	mustContain(t, m, "default   ", "re6stnet1", "static")
}

// TestFixConfirmShowsExactChange: with one fix offered, as on a node
// whose plain default route fights re6st's, F shows the exact change on a
// line of its own before y applies it; n cancels.
func TestFixConfirmShowsExactChange(t *testing.T) {
	st := fake.Typical(t0)
	for i := range st.Findings {
		if f := &st.Findings[i]; f.ID == state.CheckDefaultRoute {
			f.Status, f.Fixes = state.CheckWarn, f.Fixes[1:]
		}
	}
	m, _ := newModel(t, st, 120, 36)
	const change = "ip -6 route add default via fe80::216:3e00:0:1 dev re6stnet1 proto static metric 512"
	press(m, "F")
	mustContain(t, m, "Apply the default-route fix?", "This will route all traffic through re6st, following", "  "+change+" ")
	if cmd := press(m, "n"); cmd != nil || m.prompt != nil {
		t.Fatal("n did not cancel")
	}
	if f, _ := m.defaultRouteFinding(); hasApplied(f) {
		t.Fatal("applied although cancelled")
	}
	run(m, press(m, "F", "y"))
	if f, _ := m.defaultRouteFinding(); !hasApplied(f) {
		t.Fatalf("not applied after y; status %q", m.status)
	}
	mustContain(t, m, "✓ U revert │ fix in effect: route all traffic through re6st")
	press(m, "U")
	mustContain(t, m, "Revert the default-route fix?", "This undoes it with:", "  ip -6 route del default via fe80::216:3e00:0:1 dev re6stnet1 proto static metric 512")
	run(m, press(m, "y"))
	if f, _ := m.defaultRouteFinding(); hasApplied(f) {
		t.Fatal("not reverted after y")
	}
}

// TestRevertListsChangesWithoutUndo: a node that does not say how it
// would revert (an older re6stnet) still gets its changes listed.
func TestRevertListsChangesWithoutUndo(t *testing.T) {
	st := fake.Typical(t0)
	for i := range st.Findings {
		if f := &st.Findings[i]; f.ID == state.CheckDefaultRoute {
			f.Fixes[0].Applied, f.Fixes[0].Undo = true, nil
			f.Fixes[0].Changes = []state.Change{{Action: "set-sysctl", Object: "net.ipv6.conf.eth0.accept_ra", Before: "1", After: "2"}}
		}
	}
	m, _ := newModel(t, st, 100, 30)
	press(m, "U")
	mustContain(t, m, "This undoes:", "set-sysctl net.ipv6.conf.eth0.accept_ra: 2 → 1")
}

func TestNodeCommandKeys(t *testing.T) {
	m, _ := typical(t)
	run(m, press(m, "R"))
	if m.statusErr || !strings.Contains(m.status, "refetch network configuration: done") {
		t.Fatalf("R: status %q", m.status)
	}
	press(m, "B")
	mustContain(t, m, "Re-bootstrap?", "Asks the registry for a bootstrap peer")
	cached := m.st.Registry.CachedPeers
	run(m, press(m, "y"))
	if m.st.Registry.CachedPeers != cached+1 || !strings.Contains(m.status, "re-bootstrap: done") {
		t.Fatalf("B y: cached peers %d, status %q; want one more peer, done", m.st.Registry.CachedPeers, m.status)
	}
}

func TestPeersMoveKeys(t *testing.T) {
	m, _ := newModel(t, fake.Large(t0, 200, 100), 80, 24)
	h := m.peers.tableHeight()
	steps := []struct {
		key  string
		want int
	}{{"down", 1}, {"j", 2}, {"up", 1}, {"k", 0}, {"pgdown", h}, {"pgup", 0}, {"G", 99}, {"g", 0}, {"end", 99}, {"home", 0}}
	for _, s := range steps {
		press(m, s.key)
		if m.peers.list.cursor != s.want {
			t.Fatalf("after %s: cursor %d, want %d", s.key, m.peers.list.cursor, s.want)
		}
	}
}

func TestPeersSortKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "s", "s", "s") // peer → state → cost → rtt
	if peerSorts[m.peers.sortBy] != "rtt" {
		t.Fatalf("sort = %s, want rtt", peerSorts[m.peers.sortBy])
	}
	for i := 1; i < len(m.peers.rows); i++ {
		if m.peers.rows[i-1].rtt() > m.peers.rows[i].rtt() {
			t.Fatalf("rows not by rtt at %d", i)
		}
	}
	press(m, "S")
	if m.peers.rows[0].rtt() < m.peers.rows[len(m.peers.rows)-1].rtt() {
		t.Fatal("S did not reverse")
	}
}

func TestPeersDetailKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "enter")
	mustContain(t, m, "Routes through this peer", "addresses 198.18.")
	press(m, "esc")
	if m.peers.detail {
		t.Fatal("esc did not leave the detail")
	}
}

func TestPeersKillKeys(t *testing.T) {
	m, _ := typical(t)
	id := m.peers.rows[0].tun.ID
	press(m, "x")
	mustContain(t, m, "Kill tunnel "+id+"?")
	press(m, "esc")
	if m.prompt != nil || len(m.st.Tunnels) != 8 {
		t.Fatal("esc did not cancel the kill")
	}
	run(m, press(m, "x", "y"))
	for _, tu := range m.st.Tunnels {
		if tu.ID == id {
			t.Fatalf("tunnel %s still there; status %q", id, m.status)
		}
	}
	if len(m.peers.rows) != 7 {
		t.Fatalf("%d peer rows, want 7", len(m.peers.rows))
	}
}

func TestPeersConnectKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "c")
	typeText(m, "not-a-prefix")
	press(m, "enter")
	if !m.statusErr || !strings.Contains(m.status, "is not a prefix") {
		t.Fatalf("bad prefix: status %q", m.status)
	}
	press(m, "c")
	typeText(m, "2001:db8:42:3::1") // a peer's address: its route's prefix, tunnel exists
	run(m, press(m, "enter"))
	if !m.statusErr || !strings.Contains(m.status, "connect to 2001:db8:42:3::/64: a tunnel to this peer exists already") {
		t.Fatalf("address of a connected peer: status %q", m.status)
	}
	press(m, "c")
	typeText(m, "2001:db8:42:77::/64")
	run(m, press(m, "enter"))
	var found *state.Tunnel
	for i := range m.st.Tunnels {
		if m.st.Tunnels[i].Peer.String() == "2001:db8:42:77::/64" {
			found = &m.st.Tunnels[i]
		}
	}
	if found == nil || found.State != state.TunnelConnecting {
		t.Fatalf("no connecting tunnel; status %q", m.status)
	}
}

func TestPeersFilterKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "/")
	typeText(m, "re6stnet-udp")
	if n := len(m.peers.rows); n != 2 {
		t.Fatalf("%d rows match re6stnet-udp, want 2", n)
	}
	press(m, "enter")
	if m.peers.filter.active || len(m.peers.rows) != 2 {
		t.Fatal("enter should keep the filter and close the input")
	}
	press(m, "esc")
	if len(m.peers.rows) != 8 {
		t.Fatal("esc did not clear the filter")
	}
}

func TestPeersTraceKey(t *testing.T) {
	m, _ := typical(t)
	cmd := press(m, "t")
	if m.tab != tabTrace || m.trace.dst != "2001:db8:42:2::/64" || cmd == nil {
		t.Fatalf("t: tab %d dst %q", m.tab, m.trace.dst)
	}
	m.trace.stop()
}

func TestRatesFromTicks(t *testing.T) {
	m, _ := typical(t)
	id := m.st.Tunnels[0].ID
	in := m.st.Tunnels[0].BytesIn
	m.Update(eventMsg{state.Event{Kind: state.KindCounters, Counters: []state.Counters{{ID: id, BytesIn: in + 20480, BytesOut: m.st.Tunnels[0].BytesOut}}}})
	m.Update(tickMsg(t0.Add(2 * time.Second)))
	if r := m.peers.rates[id]; r.in != 10240 || r.out != 0 {
		t.Fatalf("rate = %+v, want 10240 B/s in over 2 s", r)
	}
	mustContain(t, m, "10.0K/s")
}

func TestRoutesKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "2")
	all := len(m.routes.rows())
	press(m, "a")
	if len(m.routes.rows()) >= all {
		t.Fatalf("a: %d rows, want fewer than %d", len(m.routes.rows()), all)
	}
	press(m, "a", "/")
	typeText(m, "eth0")
	press(m, "enter")
	for _, r := range m.routes.rows() {
		if r.r.Dev != "eth0" && !strings.Contains(r.r.Via.String(), "eth0") {
			t.Fatalf("filter eth0 kept %+v", r.r)
		}
	}
	press(m, "esc", "g", "enter")
	mustContain(t, m, "How the default route from 2001:db8:42::/48 is reached", "underlay")
	press(m, "esc")
	if m.routes.explain != nil {
		t.Fatal("esc did not close the explanation")
	}
	press(m, "e")
	typeText(m, "2001:db8:42:4::1")
	press(m, "enter")
	mustContain(t, m, "How 2001:db8:42:4::1/128 is reached", "conflict: also", "the kernel uses the lowest metric: 512")
	press(m, "esc", "e")
	typeText(m, "198.19.128.129") // a peer's IPv4 address
	press(m, "enter")
	mustContain(t, m, "How 198.19.128.129/32 is reached", "198.19.128.128/25 via 198.19.128.129 dev re6stnet1 proto babel", "underlay")
	press(m, "esc", "e")
	typeText(m, "2001:db8:42:ffff::1") // inside the network, no node there
	press(m, "enter")
	mustContain(t, m, "unreachable 2001:db8:42::/48", "rejected")
	press(m, "esc", "e")
	typeText(m, "nonsense")
	press(m, "enter")
	if !m.statusErr {
		t.Fatal("explain of nonsense gave no error")
	}
}

func TestBabelKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "3")
	for i, k := range []string{"right", "l", "right", "right", "left", "h"} {
		press(m, k)
		if want := []int{1, 2, 3, 0, 3, 2}[i]; m.babel.sub != want {
			t.Fatalf("after %s: sub %d, want %d", k, m.babel.sub, want)
		}
	}
	press(m, "h", "/")
	typeText(m, "missing")
	press(m, "enter")
	if n := m.babel.rowCount(bRoutes); n != 1 || m.babel.check.missing != 1 {
		t.Fatalf("/missing: %d rows, %d missing; want 1 and 1", n, m.babel.check.missing)
	}
	mustContain(t, m, "MISSING")
	press(m, "down")
	press(m, "esc")
	if m.babel.filtered() || m.babel.rowCount(bRoutes) != len(m.st.Routes) {
		t.Fatal("esc did not clear the filter")
	}
}

func TestLogsKeys(t *testing.T) {
	m, eng := typical(t)
	press(m, "4")
	info := len(m.logs.idx)
	press(m, "v", "v", "v") // info → warn → error → debug
	if len(m.logs.idx) <= info {
		t.Fatalf("debug shows %d lines, want more than %d", len(m.logs.idx), info)
	}
	press(m, "up")
	if m.logs.follow {
		t.Fatal("scrolling up did not pause")
	}
	eng.Step(t0.Add(time.Second))
	drain(m)
	if m.logs.unseen == 0 {
		t.Fatal("no unseen count while paused")
	}
	mustContain(t, m, "paused")
	press(m, "G")
	if !m.logs.follow || m.logs.unseen != 0 {
		t.Fatal("G did not follow again")
	}
	press(m, "f")
	if m.logs.follow {
		t.Fatal("f did not pause")
	}
	press(m, "space")
	if !m.logs.follow {
		t.Fatal("space did not follow")
	}
	press(m, "/")
	typeText(m, "tls")
	if len(m.logs.idx) != 1 {
		t.Fatalf("/tls: %d lines, want 1", len(m.logs.idx))
	}
	press(m, "esc")
	if m.logs.filter.text() != "" {
		t.Fatal("esc did not clear")
	}
}

func TestTraceKeys(t *testing.T) {
	m, _ := typical(t)
	press(m, "5", "enter")
	if !m.trace.input.Focused() {
		t.Fatal("enter did not open the destination input")
	}
	typeText(m, "2001:db8:42:6::1")
	if m.tab != tabTrace {
		t.Fatal("digits typed in the destination switched tabs")
	}
	cmd := press(m, "enter")
	m.Update(cmd()) // started
	for range 3 {   // one round: three hops
		_, cmd = m.Update(waitForHop(m.trace.id, m.trace.ch)())
	}
	if len(m.trace.hops) != 3 || m.trace.hops[2].Addrs[0].String() != "2001:db8:42:6::1" {
		t.Fatalf("hops = %+v", m.trace.hops)
	}
	mustContain(t, m, "trace to 2001:db8:42:6::1", "running", "LOSS", "WORST")
	press(m, "s")
	if m.trace.running {
		t.Fatal("s did not stop the trace")
	}
	press(m, "t", "backspace")
	typeText(m, "zz")
	m.Update(press(m, "enter")())
	if m.trace.err == "" || m.trace.running {
		t.Fatalf("bad destination: err %q running %v", m.trace.err, m.trace.running)
	}
	mustContain(t, m, "not an IPv6 address")
	press(m, "enter", "esc")
	if m.trace.input.Focused() {
		t.Fatal("esc did not leave the input")
	}
}

func TestEngineGone(t *testing.T) {
	t.Run("lagged-resubscribes", func(t *testing.T) {
		m, _ := typical(t)
		m.Update(eventMsg{state.Event{Kind: state.KindLagged}})
		_, cmd := m.Update(goneMsg{})
		if cmd == nil || m.gone {
			t.Fatal("a lagged subscriber did not resubscribe")
		}
		m.Update(cmd())
		if m.lagged || m.events == nil {
			t.Fatal("resubscription not taken")
		}
	})
	t.Run("stopped", func(t *testing.T) {
		m, _ := typical(t)
		if _, cmd := m.Update(goneMsg{}); cmd != nil {
			t.Fatal("resubscribed to a stopped engine")
		}
		mustContain(t, m, "node gone", "the node stopped")
	})
}

func TestStatusFades(t *testing.T) {
	m, _ := typical(t)
	m.setStatus("kill tunnel x: done", false)
	m.Update(tickMsg(t0.Add(5 * time.Second)))
	if m.status == "" {
		t.Fatal("status faded too early")
	}
	m.Update(tickMsg(t0.Add(11 * time.Second)))
	if m.status != "" {
		t.Fatal("status did not fade")
	}
}

// TestRoutesConflicts: two defaults compete, the lower metric wins; a
// link-local prefix on every link does not.
func TestRoutesConflicts(t *testing.T) {
	ll := netip.MustParsePrefix("fe80::/64")
	anyDst := netip.MustParsePrefix("::/0")
	st := fake.Empty(t0)
	st.Kernel = []state.KernelRoute{
		{Dst: ll, Dev: "eth0", Proto: state.OriginKernel, Metric: 256, Table: 254},
		{Dst: ll, Dev: "re6stnet1", Proto: state.OriginKernel, Metric: 256, Table: 254},
		{Dst: anyDst, Via: netip.MustParseAddr("2001:db8:ff00::1"), Dev: "eth0", Proto: state.OriginStatic, Metric: 1024, Table: 254},
		{Dst: anyDst, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Proto: state.OriginStatic, Metric: 1023, Table: 254},
	}
	m, _ := newModel(t, st, 120, 30)
	press(m, "2")
	var conflicts []string
	for _, r := range m.routes.rows() {
		if m.routes.set.conflict(r) {
			conflicts = append(conflicts, r.r.Dst.String()+" "+r.r.Dev)
		}
	}
	if want := []string{"::/0 re6stnet1", "::/0 eth0"}; !slices.Equal(conflicts, want) {
		t.Fatalf("conflicts %v, want %v", conflicts, want)
	}
	mustContain(t, m, "2 in conflict (/conflict)")
	press(m, "/")
	typeText(m, "conflict")
	if got := routeKeysOf(m.routes.rows()); len(got) != 2 || got[0].Dev != "re6stnet1" || got[1].Dev != "eth0" {
		t.Fatalf("/conflict shows %v, want the two defaults", got)
	}
	// The static default goes: nothing is in conflict any more, and the
	// filtered table says so at the next flush.
	m.Update(eventMsg{state.Event{Kind: state.KindKernel, Removed: true, Kernel: &st.Kernel[3]}})
	m.Update(flushMsg{})
	if n := len(m.routes.rows()); n != 0 {
		t.Fatalf("/conflict shows %d routes after the conflict ended", n)
	}
}
