package node

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"re6st-tui/diag/doctor"
	"re6st-tui/diag/system/systemtest"
	"re6st-tui/node/bus"
	"re6st-tui/node/state"

	"re6st-tui/node/config"
	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
	"re6st-tui/node/upnp"
)

func TestUPnPWanted(t *testing.T) {
	for _, tc := range []struct {
		ip             []string
		want, explicit bool
	}{
		{nil, true, false}, // re6st tries UPnP by default
		{[]string{"upnp"}, true, true},
		{[]string{"upnp", "2001:db8::7"}, true, true},
		{[]string{"2001:db8::7"}, true, false},   // IPv4 still unknown
		{[]string{"any"}, false, false},          // learn it from peers
		{[]string{"198.51.100.7"}, false, false}, // given
		{[]string{"node.example"}, false, false}, // a name OpenVPN resolves
	} {
		n := &Node{cfg: &config.Node{IP: tc.ip}}
		if want, explicit := n.upnpWanted(); want != tc.want || explicit != tc.explicit {
			t.Errorf("--ip %v: UPnP wanted %v explicit %v, want %v %v", tc.ip, want, explicit, tc.want, tc.explicit)
		}
	}
}

// With UPnP, the IPv4 entries carry the gateway's port for each mapped
// server port, whatever the address, learnt or the gateway's (and, as
// the network keeps tunnels within countries, our country).
func TestUPnPAddresses(t *testing.T) {
	n := &Node{cfg: &config.Node{Country: "FR",
		PP: []config.PortProto{{Port: 1194, Proto: "tcp"}, {Port: 1195, Proto: "udp"}, {Port: 1194, Proto: "tcp6"}}},
		address: map[int][]peer.Address{}, net: &netconf.Config{SameCountry: []string{"FR"}}}
	n.upnp = &upnp.Status{External: netip.MustParseAddr("198.18.0.1"),
		Ports: []upnp.Port{{Port: 1194, Proto: "tcp"}, {Port: 1195, Proto: "udp"}}, Mapped: []uint16{40000, 0}}
	got := peer.FormatAddresses(n.addressesFor("198.51.100.7", false), true)
	if want := "198.51.100.7,40000,tcp,FR;198.51.100.7,1195,udp,FR"; got != want {
		t.Errorf("IPv4 entries %q, want %q", got, want)
	}
	got = peer.FormatAddresses(n.addressesFor("2001:db8::7", true), true)
	if want := "2001:db8::7,1194,tcp6,FR"; got != want {
		t.Errorf("IPv6 entries %q, want %q", got, want)
	}
}

// TestUPnPFinding: a UPnP failure reaches the doctor's UPnP check at
// once, with the server ports to forward, and becomes a failed finding.
func TestUPnPFinding(t *testing.T) {
	n := &Node{cfg: &config.Node{IP: []string{"upnp"}, PP: []config.PortProto{{Port: 1194, Proto: "udp"}, {Port: 1194, Proto: "udp6"}}},
		bus: bus.New(0), log: slog.New(slog.DiscardHandler)}
	n.upnpCheck = n.upnpSettings()
	p := &published{first: make(chan struct{}), sets: make(chan struct{}, 1)}
	n.checks = newCheckup(func() *doctor.Doctor {
		n.mu.Lock() // as doctorNode does, without the rest it needs
		defer n.mu.Unlock()
		return &doctor.Doctor{Sys: systemtest.New(), Node: doctor.Node{UPnP: n.upnpCheck.with(n.st.UPnP)}}
	}, p.set, n.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.checks.run(ctx) }()
	defer func() { cancel(); <-done }()
	<-p.first
	n.setUPnP(state.UPnP{Phase: state.UPnPFailed, Error: "no Internet gateway answered"})
	for f := p.finding(t, "upnp"); f.Status != state.CheckFail; f = p.finding(t, "upnp") {
		<-p.sets // the check runs on the checkup's goroutine
	}
	if f := p.finding(t, "upnp"); !strings.Contains(strings.Join(f.Details, "\n"), "forward 1194/udp on the router") {
		t.Errorf("the finding does not say which port to forward: %+v", f)
	}
}
