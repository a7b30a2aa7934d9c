package ui

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

var goldenStates = []struct {
	name string
	st   func() state.State
}{
	{"empty", func() state.State { return fake.Empty(t0) }},
	{"typical", func() state.State { return fake.Typical(t0) }},
	{"large", sync.OnceValue(func() state.State { return fake.Large(t0, 10000, 100) })},
}

// goldenScreens are the screens worth pinning, each reached by keys.
var goldenScreens = []struct {
	name string
	keys []string
}{
	{"peers", nil},
	{"peers-detail", []string{"down", "enter"}},
	{"peers-sorted-rtt", []string{"s", "s", "s"}},
	{"peers-kill-confirm", []string{"x"}},
	{"peers-connect", []string{"c"}},
	{"peers-filter", []string{"/", "r", "e", "6", "s", "t", "n", "e", "t", "-"}},
	{"routes", []string{"2"}},
	{"routes-re6st-only", []string{"2", "a"}},
	{"routes-ipv4", []string{"2", "/", "1", "9", "8", ".", "enter"}},
	{"routes-explain", []string{"2", "down", "down", "down", "down", "enter"}},
	{"babel-neighbours", []string{"3"}},
	{"babel-routes", []string{"3", "right"}},
	{"babel-sources", []string{"3", "right", "right"}},
	{"babel-xroutes", []string{"3", "left"}},
	{"logs", []string{"4"}},
	{"logs-debug", []string{"4", "v", "v", "v"}},
	{"trace-idle", []string{"5"}},
	{"trace-input", []string{"5", "enter"}},
	{"routes-explain-ask", []string{"2", "e"}},
	{"help", []string{"?"}},
	{"fix-choose", []string{"F"}},
	{"doctor", []string{"D"}},
	{"doctor-detail", []string{"D", "enter"}},
}

func TestGolden(t *testing.T) {
	for _, gs := range goldenStates {
		for _, sc := range goldenScreens {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				name := fmt.Sprintf("%s/%s/%dx%d", gs.name, sc.name, size[0], size[1])
				t.Run(name, func(t *testing.T) {
					m, eng := newModel(t, gs.st(), size[0], size[1])
					warm(m, eng)
					press(m, sc.keys...)
					requireGolden(t, screen(t, m))
				})
			}
		}
	}
}

// TestGoldenColour pins what 16-colour and NO_COLOR terminals receive.
func TestGoldenColour(t *testing.T) {
	for _, p := range []colorprofile.Profile{colorprofile.ANSI, colorprofile.ASCII} {
		t.Run(p.String(), func(t *testing.T) {
			m, _ := newModel(t, fake.Typical(t0), 80, 24)
			press(m, "2")
			requireGolden(t, coloured(t, m, p))
		})
	}
}

// TestGoldenTrace pins the mtr-style table with a lossy middle hop.
func TestGoldenTrace(t *testing.T) {
	hops := []state.Hop{
		{N: 1, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8:42:2::1")}, Names: []string{"gw.lab.example"}, Sent: 20, Last: 4 * time.Millisecond, Avg: 5 * time.Millisecond, Best: 3 * time.Millisecond, Worst: 9 * time.Millisecond},
		{N: 2, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8:42:1f::1"), netip.MustParseAddr("2001:db8:42:20::1")}, Sent: 20, Loss: 0.15, Last: 14 * time.Millisecond, Avg: 15 * time.Millisecond, Best: 12 * time.Millisecond, Worst: 31 * time.Millisecond},
		{N: 3, Sent: 20, Loss: 1},
		{N: 4, Addrs: []netip.Addr{netip.MustParseAddr("2001:db8:42:6::1")}, Sent: 20, Last: 24 * time.Millisecond, Avg: 25 * time.Millisecond, Best: 23 * time.Millisecond, Worst: 40 * time.Millisecond},
	}
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newModel(t, fake.Typical(t0), size[0], size[1])
			press(m, "5")
			m.trace.id, m.trace.dst, m.trace.running = 1, "2001:db8:42:6::1", true
			for _, h := range hops {
				m.Update(hopMsg{id: 1, hop: h})
			}
			m.Update(hopMsg{id: 0, hop: state.Hop{N: 9}}) // from an older trace: dropped
			m.Update(hopMsg{id: 1, hop: state.Hop{N: 6}}) // a probe beyond…
			m.Update(hopMsg{id: 1, hop: state.Hop{N: 4, Addrs: hops[3].Addrs, Sent: 20, Final: true,
				Last: hops[3].Last, Avg: hops[3].Avg, Best: hops[3].Best, Worst: hops[3].Worst}}) // …the end
			requireGolden(t, screen(t, m))
		})
	}
}

// TestGoldenUPnP pins what the header and the peers tab say of the UPnP
// port mappings in each phase, and a served peer's detail.
func TestGoldenUPnP(t *testing.T) {
	ext := netip.MustParseAddr("198.18.200.1")
	for _, tc := range []struct {
		name string
		u    state.UPnP
		keys []string
	}{
		{"searching", state.UPnP{Phase: state.UPnPSearching}, nil},
		{"failed", state.UPnP{Phase: state.UPnPFailed, Error: "no Internet gateway answered on the LAN within 2s"}, nil},
		{"renewal-failing", state.UPnP{Phase: state.UPnPMapped, External: ext, Renewed: t0.Add(-20 * time.Minute),
			Mappings: []state.PortMapping{{Proto: "udp", Internal: 1194, External: 40000}}, Error: "AddPortMapping: 501 Action Failed"}, nil},
		{"none-found", state.UPnP{Error: "no Internet gateway answered on the LAN within 2s"}, nil},
		{"served-peer", fake.Typical(t0).UPnP, []string{"down", "down", "enter"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := fake.Typical(t0)
			st.UPnP = tc.u
			m, _ := newModel(t, st, 80, 24)
			press(m, tc.keys...)
			requireGolden(t, screen(t, m))
		})
	}
}

// TestTinyAndHugeScreens renders every tab outside the supported sizes:
// nothing may panic or overflow the width.
func TestTinyAndHugeScreens(t *testing.T) {
	for _, size := range [][2]int{{20, 5}, {40, 10}, {79, 23}, {250, 80}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			m, _ := newModel(t, fake.Typical(t0), size[0], size[1])
			for _, keys := range [][]string{nil, {"enter"}, {"esc", "2"}, {"enter"}, {"esc", "3"}, {"4"}, {"5"}, {"?"}, {"?", "F"}} {
				press(m, keys...)
				screen(t, m)
			}
		})
	}
}
