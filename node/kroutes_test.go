package node

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"

	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
	"re6st-tui/node/bus"
	"re6st-tui/node/state"
)

// TestFollowKernel: the state's kernel routes, IPv6 and IPv4, follow the
// route subscription, each change published as a keyed event, and route
// changes wake the doctor's route checks.
func TestFollowKernel(t *testing.T) {
	anyDst := netip.MustParsePrefix("::/0")
	plain := system.Route{Dst: anyDst, Via: netip.MustParseAddr("2001:db8:ff00::1"), Dev: "eth0", Table: 254, Metric: 1024, Proto: 4, Type: 1}
	re6st := system.Route{Dst: anyDst, Src: testNetwork, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Table: 254, Metric: 1024, Proto: system.ProtoBabel, Type: 1}
	k := systemtest.New(plain)
	n := &Node{sys: k, bus: bus.New(0), log: slog.New(slog.DiscardHandler)}
	n.checks = newCheckup(nil, nil, n.log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := n.bus.Subscribe(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.followKernel(ctx)
	}()
	next := func() state.Event {
		t.Helper()
		for ev := range events {
			if ev.Kind == state.KindKernel {
				return ev
			}
		}
		t.Fatal("no kernel event")
		return state.Event{}
	}
	if ev := next(); ev.Removed || ev.Kernel.Via != plain.Via {
		t.Fatalf("first read: %+v", ev)
	}
	k.Set([]system.Route{re6st})
	if ev := next(); ev.Removed || ev.Kernel.Src != testNetwork || ev.Kernel.Proto != state.OriginBabel {
		t.Fatalf("added: %+v %+v", ev, ev.Kernel)
	}
	<-n.checks.changed // the route checks are asked for
	v4 := system.Route{Dst: netip.MustParsePrefix("198.19.128.128/25"), Via: netip.MustParseAddr("198.19.128.129"), Dev: "re6stnet1", Table: 254, Proto: system.ProtoBabel, Type: 1}
	k.Set([]system.Route{v4})
	if ev := next(); ev.Removed || ev.Kernel.Dst != v4.Dst || ev.Kernel.Proto != state.OriginBabel {
		t.Fatalf("IPv4 added: %+v %+v", ev, ev.Kernel)
	}
	k.Set(nil, re6st, v4)
	for range 2 {
		if ev := next(); !ev.Removed || (ev.Kernel.Src != testNetwork && ev.Kernel.Dst != v4.Dst) {
			t.Fatalf("removed: %+v %+v", ev, ev.Kernel)
		}
	}
	n.mu.Lock()
	rows := len(n.st.Kernel)
	n.mu.Unlock()
	if rows != 1 {
		t.Fatalf("state keeps %d rows", rows)
	}
	cancel()
	<-done
}
