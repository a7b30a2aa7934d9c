package ui

import (
	tea "charm.land/bubbletea/v2"

	"net/netip"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// TestHeaderKeepsWhatMatters: on a narrow screen the header drops the
// least useful pieces (network, registry, the title) before the node's
// state, its reason, its address and a certificate about to expire.
func TestHeaderKeepsWhatMatters(t *testing.T) {
	st := fake.Empty(t0)
	st.Status.Reason = "no route to the registry's node"
	st.Identity.CertExpiry = t0.Add(5 * 24 * time.Hour)
	m, _ := newModel(t, st, 80, 24)
	header := strings.Join(strings.Split(screen(t, m), "\n")[:2], "\n")
	for _, want := range []string{"bootstrapping: no route to the registry's node", "addr 2001:db8:42:1::1", "ipv4 198.19.128.1/25", "cert 2026-11-29 (5d)"} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q:\n%s", want, header)
		}
	}
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	header = strings.Join(strings.Split(screen(t, m), "\n")[:2], "\n")
	for _, want := range []string{"re6st-tui", "registry http://198.18.0.10/", "net 2001:db8:42::/48", "cert 2026-11-29 (5d)"} {
		if !strings.Contains(header, want) {
			t.Errorf("120 columns: header lacks %q:\n%s", want, header)
		}
	}
	st.Identity.IPv4 = netip.Prefix{}
	m.Update(eventMsg{state.Event{Kind: state.KindIdentity, Identity: &st.Identity}})
	if s := screen(t, m); strings.Contains(s, "ipv4") {
		t.Errorf("a node without IPv4 shows one:\n%s", s)
	}
}
