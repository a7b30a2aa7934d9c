package trace

import (
	"net/netip"
	"testing"
	"time"
)

func TestHopString(t *testing.T) {
	a, b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	for _, tt := range []struct {
		hop  Hop
		want string
	}{
		{Hop{TTL: 1, Probes: []Probe{{Kind: TimeExceeded, From: a, RTT: 1500 * time.Microsecond}, {Kind: TimeExceeded, From: a, RTT: time.Millisecond}, {}}},
			" 1  2001:db8::1  1.500 ms  1.000 ms *"},
		{Hop{TTL: 12, Probes: []Probe{{Kind: TimeExceeded, From: a, RTT: time.Millisecond}, {Kind: TimeExceeded, From: b, RTT: 2 * time.Millisecond}},
			Responders: []Responder{{Addr: b, Name: "r2.example"}}},
			"12  2001:db8::1  1.000 ms 2001:db8::2 (r2.example)  2.000 ms"},
		{Hop{TTL: 3, Probes: []Probe{{Kind: Unreachable, From: a, RTT: time.Millisecond, Code: 1}}},
			" 3  2001:db8::1  1.000 ms !X"},
		{Hop{TTL: 4, Probes: []Probe{{}, {}, {}}}, " 4  * * *"},
	} {
		if got := tt.hop.String(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
	s := Stats{Sent: 4, Received: 3, Loss: 25, Last: time.Millisecond, Avg: time.Millisecond, Best: time.Millisecond, Worst: 2 * time.Millisecond}
	if got, want := s.Columns(), " 25.0%    4    1.000    1.000    1.000    2.000"; got != want {
		t.Errorf("columns %q want %q", got, want)
	}
}
