package fake

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/node/state"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestSlowSubscriberIsDropped(t *testing.T) {
	e := New(Typical(t0))
	ch := e.Subscribe(context.Background())
	for i := range subscriberBuffer + 5 {
		e.Step(t0.Add(time.Duration(i) * time.Second))
	}
	var last state.Event
	n := 0
	for ev := range ch { // must end: the engine closed it
		last = ev
		n++
	}
	if last.Kind != state.KindLagged || n > subscriberBuffer {
		t.Fatalf("got %d events ending with %q, want at most %d ending with lagged", n, last.Kind, subscriberBuffer)
	}
}

func TestSubscriptionEndsWithContext(t *testing.T) {
	e := New(Empty(t0))
	ctx, cancel := context.WithCancel(context.Background())
	ch := e.Subscribe(ctx)
	cancel()
	for range ch {
	}
}

func TestCommandErrors(t *testing.T) {
	e := New(Typical(t0))
	ctx := context.Background()
	if err := e.KillTunnel(ctx, "nope"); err == nil {
		t.Error("killing an unknown tunnel succeeded")
	}
	if err := e.ConnectPeer(ctx, netip.MustParsePrefix("2001:db8:99::/64")); err == nil {
		t.Error("connecting outside the network succeeded")
	}
	if err := e.ConnectPeer(ctx, peerPrefix(1)); err == nil {
		t.Error("connecting twice to a peer succeeded")
	}
	if err := e.RevertFix(ctx, fixAcceptRA); err == nil {
		t.Error("reverting a fix never applied succeeded")
	}
	if err := e.ApplyFix(ctx, fixAcceptRA); err != nil {
		t.Fatal(err)
	}
	if err := e.ApplyFix(ctx, fixRe6stDefault); err == nil {
		t.Error("a second fix went on top of the first")
	}
	if err := e.ApplyFix(ctx, "nope"); err == nil {
		t.Error("an unknown fix succeeded")
	}
	if _, err := e.StartTrace(ctx, "example.net"); err == nil {
		t.Error("tracing a name succeeded")
	}
}

func TestKillRemovesEverythingThrough(t *testing.T) {
	e := New(Typical(t0))
	tun := e.Snapshot().Tunnels[0]
	if err := e.KillTunnel(context.Background(), tun.ID); err != nil {
		t.Fatal(err)
	}
	s := e.Snapshot()
	for _, r := range s.Routes {
		if r.NextHop == tun.LinkLocal && r.Iface == tun.Iface {
			t.Fatalf("route %s still via the killed tunnel", r.Prefix)
		}
	}
	for _, k := range s.Kernel {
		if k.Via == tun.LinkLocal && k.Dev == tun.Iface {
			t.Fatalf("kernel route %s still via the killed tunnel", k.Dst)
		}
	}
}

func TestLargeShape(t *testing.T) {
	s := Large(t0, 10000, 100)
	if len(s.Tunnels) != 100 || len(s.Routes) != 10101 || len(s.Kernel) < 9000 {
		t.Fatalf("large: %d tunnels, %d routes, %d kernel", len(s.Tunnels), len(s.Routes), len(s.Kernel))
	}
}
