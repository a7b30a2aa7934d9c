package state

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

var (
	t0   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ll1  = netip.MustParseAddr("fe80::1")
	ll2  = netip.MustParseAddr("fe80::2")
	p1   = netip.MustParsePrefix("2001:db8:42:1::/64")
	p2   = netip.MustParsePrefix("2001:db8:42:2::/64")
	zero = netip.MustParsePrefix("::/0")
)

func sample() State {
	return State{
		Identity: Identity{Prefix: p1, Address: netip.MustParseAddr("2001:db8:42:1::1"),
			Network: netip.MustParsePrefix("2001:db8:42::/48"), Registry: "http://198.18.0.10/", CertExpiry: t0},
		Status: Status{Phase: Connected, Since: t0},
		Tunnels: []Tunnel{{ID: "re6stnet1", Peer: p2, Role: Client, Iface: "re6stnet1", State: TunnelUp, BytesIn: 10,
			PeerAddrs: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.11:1194")}}},
		Neighbours: []Neighbour{{Addr: ll1, Iface: "re6stnet1", Reach: 0xffff, RxCost: 96, TxCost: 96, Cost: 96, RTT: 3 * time.Millisecond}},
		Routes:     []BabelRoute{{Prefix: p2, Src: zero, Metric: 96, NextHop: ll1, Iface: "re6stnet1", Installed: true, Feasible: true}},
		Kernel:     []KernelRoute{{Dst: p2, Via: ll1, Dev: "re6stnet1", Proto: OriginBabel, Metric: 1024, Table: 254}},
		Logs:       []LogRecord{{Time: t0, Level: slog.LevelInfo, Source: "node", Message: "up", Attrs: []Attr{{"peer", "x"}}}},
		Findings: []Finding{{ID: CheckDefaultRoute, Status: CheckFail, Details: []string{"no default"},
			Fixes: []Fix{{ID: "accept-ra-2:eth0", Summary: "set accept_ra=2", Changes: []Change{{Action: "set-sysctl", Object: "k"}}}}}},
		UPnP: UPnP{Phase: UPnPMapped, Gateway: "WANIPConnection:2 at 198.19.0.1:5000", External: netip.MustParseAddr("198.18.0.1"),
			Mappings: []PortMapping{{Proto: "tcp", Internal: 1194, External: 40000}}, Renewed: t0},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := sample()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out State
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the state:\n in %+v\nout %+v", in, out)
	}
}

func TestApply(t *testing.T) {
	tun2 := Tunnel{ID: "re6stnet-udp/2", Peer: p2, Role: Server, Iface: "re6stnet-udp", State: TunnelConnecting}
	tests := []struct {
		name    string
		ev      Event
		changed bool
		check   func(State) error
	}{
		{"add-tunnel", Event{Kind: KindTunnel, Tunnel: &tun2}, true, func(s State) error {
			return wantLen("tunnels", len(s.Tunnels), 2)
		}},
		{"replace-tunnel", Event{Kind: KindTunnel, Tunnel: &Tunnel{ID: "re6stnet1", State: TunnelClosing}}, true, func(s State) error {
			if len(s.Tunnels) != 1 || s.Tunnels[0].State != TunnelClosing {
				return fmt.Errorf("tunnels = %+v, want one closing", s.Tunnels)
			}
			return nil
		}},
		{"remove-tunnel", Event{Kind: KindTunnel, Removed: true, Tunnel: &Tunnel{ID: "re6stnet1"}}, true, func(s State) error {
			return wantLen("tunnels", len(s.Tunnels), 0)
		}},
		{"remove-unknown", Event{Kind: KindTunnel, Removed: true, Tunnel: &Tunnel{ID: "nope"}}, false, func(s State) error {
			return wantLen("tunnels", len(s.Tunnels), 1)
		}},
		{"missing-piece", Event{Kind: KindRoute}, false, func(State) error { return nil }},
		{"neighbour-same-addr-other-iface", Event{Kind: KindNeighbour, Neighbour: &Neighbour{Addr: ll1, Iface: "re6stnet2"}}, true, func(s State) error {
			return wantLen("neighbours", len(s.Neighbours), 2)
		}},
		{"route-other-next-hop", Event{Kind: KindRoute, Route: &BabelRoute{Prefix: p2, Src: zero, NextHop: ll2, Iface: "re6stnet1"}}, true, func(s State) error {
			return wantLen("routes", len(s.Routes), 2)
		}},
		{"kernel-other-link", Event{Kind: KindKernel, Kernel: &KernelRoute{Dst: p2, Dev: "re6stnet2", Metric: 1024, Table: 254}}, true, func(s State) error {
			return wantLen("kernel", len(s.Kernel), 2) // one route per link
		}},
		{"kernel-remove", Event{Kind: KindKernel, Removed: true, Kernel: &KernelRoute{Dst: p2, Dev: "re6stnet1", Metric: 1024, Table: 254}}, true, func(s State) error {
			return wantLen("kernel", len(s.Kernel), 0)
		}},
		{"counters", Event{Kind: KindCounters, Counters: []Counters{{ID: "re6stnet1", BytesIn: 99, BytesOut: 7}}}, true, func(s State) error {
			if s.Tunnels[0].BytesIn != 99 || s.Tunnels[0].BytesOut != 7 {
				return fmt.Errorf("counters not applied: %+v", s.Tunnels[0])
			}
			return nil
		}},
		{"status", Event{Kind: KindStatus, Status: &Status{Phase: Degraded, Reason: "no tunnel"}}, true, func(s State) error {
			if s.Status.Phase != Degraded {
				return fmt.Errorf("phase = %s", s.Status.Phase)
			}
			return nil
		}},
		{"finding-applied", Event{Kind: KindFinding, Finding: &Finding{ID: CheckDefaultRoute, Fixes: []Fix{{ID: "x", Applied: true}}}}, true, func(s State) error {
			if _, ok := s.Findings[0].Applied(); !ok {
				return fmt.Errorf("finding not updated")
			}
			return nil
		}},
		{"upnp-failed", Event{Kind: KindUPnP, UPnP: &UPnP{Phase: UPnPFailed, Error: "no gateway"}}, true, func(s State) error {
			if s.UPnP.Phase != UPnPFailed || len(s.UPnP.Mappings) != 0 {
				return fmt.Errorf("upnp = %+v", s.UPnP)
			}
			return nil
		}},
		{"snapshot", Event{Kind: KindSnapshot, Snapshot: &State{Status: Status{Phase: Stopped}}}, true, func(s State) error {
			return wantLen("tunnels", len(s.Tunnels), 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample()
			if got := s.Apply(tt.ev); got != tt.changed {
				t.Errorf("Apply = %v, want %v", got, tt.changed)
			}
			if err := tt.check(s); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestApplyLogBounded(t *testing.T) {
	var s State
	for i := range MaxLogs + 10 {
		s.Apply(Event{Kind: KindLog, Log: &LogRecord{Message: fmt.Sprint(i)}})
	}
	keep := MaxLogs - MaxLogs/10
	if len(s.Logs) > MaxLogs || len(s.Logs) < keep || s.Logs[len(s.Logs)-1].Message != fmt.Sprint(MaxLogs+9) {
		t.Fatalf("logs: len %d, last %q; want at most %d, the newest last", len(s.Logs), s.Logs[len(s.Logs)-1].Message, MaxLogs)
	}
	for i := 1; i < len(s.Logs); i++ {
		var a, b int
		fmt.Sscan(s.Logs[i-1].Message, &a)
		fmt.Sscan(s.Logs[i].Message, &b)
		if a >= b {
			t.Fatalf("logs out of order at %d: %d then %d", i, a, b)
		}
	}
}

// TestApplyLogKeepsInfo: a flood of debug records does not push out the
// few info records before it.
func TestApplyLogKeepsInfo(t *testing.T) {
	var s State
	s.Apply(Event{Kind: KindLog, Log: &LogRecord{Level: slog.LevelInfo, Message: "node started"}})
	for range 10 * MaxLogs {
		s.Apply(Event{Kind: KindLog, Log: &LogRecord{Level: slog.LevelDebug, Message: "MTU parms"}})
	}
	s.Apply(Event{Kind: KindLog, Log: &LogRecord{Level: slog.LevelWarn, Message: "tunnel failed"}})
	if len(s.Logs) > MaxLogs || s.Logs[0].Message != "node started" || s.Logs[len(s.Logs)-1].Message != "tunnel failed" {
		t.Fatalf("logs: len %d, first %q, last %q", len(s.Logs), s.Logs[0].Message, s.Logs[len(s.Logs)-1].Message)
	}
}

func TestCloneIsDeep(t *testing.T) {
	s := sample()
	c := s.Clone()
	c.Tunnels[0].PeerAddrs[0] = netip.AddrPort{}
	c.Logs[0].Attrs[0].Value = "changed"
	c.Kernel[0].Dev = "other"
	c.Findings[0].Fixes[0].Changes[0].Object = "changed"
	c.Findings[0].Details[0] = "changed"
	c.UPnP.Mappings[0].External = 1
	if !s.Tunnels[0].PeerAddrs[0].IsValid() || s.Logs[0].Attrs[0].Value != "x" || s.Kernel[0].Dev != "re6stnet1" ||
		s.Findings[0].Fixes[0].Changes[0].Object != "k" || s.Findings[0].Details[0] != "no default" ||
		s.UPnP.Mappings[0].External != 40000 {
		t.Fatal("Clone shares memory with the original")
	}
}

func wantLen(what string, got, want int) error {
	if got != want {
		return fmt.Errorf("%s: %d items, want %d", what, got, want)
	}
	return nil
}
