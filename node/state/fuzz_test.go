package state

import (
	"encoding/json"
	"testing"
)

// FuzzEventJSON feeds events as the control socket will deliver them
// (JSON from another process): decoding and applying any of them must
// never panic, and a State must survive a JSON round trip after.
func FuzzEventJSON(f *testing.F) {
	s := sample()
	for _, ev := range []Event{
		{Kind: KindTunnel, Tunnel: &s.Tunnels[0]},
		{Kind: KindTunnel, Removed: true, Tunnel: &Tunnel{ID: "re6stnet1"}},
		{Kind: KindCounters, Counters: []Counters{{ID: "re6stnet1", BytesIn: 1}}},
		{Kind: KindKernel, Kernel: &s.Kernel[0]},
		{Kind: KindLog, Log: &s.Logs[0]},
		{Kind: KindFinding, Finding: &s.Findings[0]},
		{Kind: KindUPnP, UPnP: &s.UPnP},
		{Kind: KindSnapshot, Snapshot: &State{}},
		{Kind: KindLagged},
	} {
		b, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"route","route":{"prefix":"2001:db8::/64","src":"::/0","next_hop":"fe80::1"}}`))
	f.Add([]byte(`{"kind":"neighbour","removed":true,"neighbour":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if json.Unmarshal(b, &ev) != nil {
			return
		}
		st := sample()
		st.Apply(ev)
		c := st.Clone()
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("state no longer marshals after %s: %v", b, err)
		}
		var back State
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("state no longer unmarshals after %s: %v", b, err)
		}
	})
}
