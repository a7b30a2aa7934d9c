package control

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

func TestSnapshot(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	got := c.Snapshot()
	if len(got.Tunnels) == 0 {
		t.Fatal("snapshot has no tunnels; the fake's typical state has some")
	}
	if g, w := jsonOf(t, got), jsonOf(t, eng.Snapshot()); g != w {
		t.Errorf("snapshot over the socket differs from the engine's:\n got %.300s\nwant %.300s", g, w)
	}
}

func TestSubscribeInOrder(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Subscribe(ctx)
	const n = 500
	for i := range n {
		eng.bus.Publish(logEvent(i))
	}
	for i := range n {
		ev, ok := recv(t, ch)
		if !ok {
			t.Fatalf("stream closed after %d events, want %d", i, n)
		}
		if g, w := jsonOf(t, ev), jsonOf(t, logEvent(i)); g != w {
			t.Fatalf("event %d = %s, want %s", i, g, w)
		}
	}
	cancel()
	if rest := waitClosed(t, ch); len(rest) != 0 {
		t.Errorf("%d events after the end", len(rest))
	}
	waitEnded(t, eng, 0)
}

// A caller that does not read its channel gets KindLagged from the client.
func TestSubscribeLagsAtClient(t *testing.T) {
	eng := newTestEngine(4 * SubscribeBuffer)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	ch := c.Subscribe(context.Background())
	for i := range 2 * SubscribeBuffer {
		eng.bus.Publish(logEvent(i))
	}
	// Read only once the client gave up on the stream, or the test would
	// keep up with it.
	waitEnded(t, eng, 0)
	got := waitClosed(t, ch)
	if len(got) == 0 || got[len(got)-1].Kind != state.KindLagged {
		t.Fatalf("stream of %d events does not end with %s", len(got), state.KindLagged)
	}
	if len(got) > SubscribeBuffer {
		t.Errorf("%d events buffered, want at most %d", len(got), SubscribeBuffer)
	}
	// The connection survives: the client takes a new snapshot.
	if s := c.Snapshot(); s.Status.Phase == state.Stopped {
		t.Errorf("snapshot after lag failed: %s", s.Status.Reason)
	}
}

func TestCommands(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	ctx := context.Background()
	tun := eng.Snapshot().Tunnels[0]

	if err := c.KillTunnel(ctx, tun.ID); err != nil {
		t.Errorf("KillTunnel: %v", err)
	}
	if slices.ContainsFunc(eng.Snapshot().Tunnels, func(x state.Tunnel) bool { return x.ID == tun.ID }) {
		t.Errorf("tunnel %s still there after KillTunnel", tun.ID)
	}
	err := c.KillTunnel(ctx, tun.ID)
	if err == nil || !strings.Contains(err.Error(), "no such tunnel") {
		t.Errorf("KillTunnel of a dead tunnel: %v, want the engine's error text", err)
	}
	if err := c.ConnectPeer(ctx, tun.Peer); err != nil {
		t.Errorf("ConnectPeer: %v", err)
	}
	if !slices.ContainsFunc(eng.Snapshot().Tunnels, func(x state.Tunnel) bool { return x.Peer == tun.Peer }) {
		t.Errorf("no tunnel to %s after ConnectPeer", tun.Peer)
	}
	if err := c.ConnectPeer(ctx, netip.MustParsePrefix("2001:db8:dead::/48")); err == nil {
		t.Error("ConnectPeer outside the network succeeded")
	}
	before := eng.Snapshot().Registry
	if err := c.RefreshNetworkConfig(ctx); err != nil {
		t.Errorf("RefreshNetworkConfig: %v", err)
	}
	if !eng.Snapshot().Registry.ConfigAge.After(before.ConfigAge) {
		t.Error("RefreshNetworkConfig did not reach the engine")
	}
	cached := eng.Snapshot().Registry.CachedPeers
	if err := c.Rebootstrap(ctx); err != nil {
		t.Errorf("Rebootstrap: %v", err)
	}
	if got := eng.Snapshot().Registry.CachedPeers; got != cached+1 {
		t.Errorf("cached peers after Rebootstrap = %d, want the bootstrap peer added to %d", got, cached)
	}
	checkFix(t, c, eng)
}

func checkFix(t *testing.T, c *Client, eng *testEngine) {
	ctx := context.Background()
	id := eng.Snapshot().Findings[0].Fixes[0].ID
	applied := func() bool {
		_, ok := eng.Snapshot().Findings[0].Applied()
		return ok
	}
	if err := c.ApplyFix(ctx, id); err != nil {
		t.Errorf("ApplyFix: %v", err)
	}
	if !applied() {
		t.Error("finding not applied after ApplyFix")
	}
	if err := c.ApplyFix(ctx, id); err == nil {
		t.Error("ApplyFix twice succeeded")
	}
	if err := c.RevertFix(ctx, id); err != nil {
		t.Errorf("RevertFix: %v", err)
	}
	if applied() {
		t.Error("finding still applied after RevertFix")
	}
	if err := c.RevertFix(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "no check offers it") {
		t.Errorf("RevertFix of an unknown finding: %v", err)
	}
}

func TestCommandTimeout(t *testing.T) {
	eng := newTestEngine(0)
	eng.hang = true
	defer close(eng.unhang)
	path, _ := serve(t, eng, func(s *Server) { s.CommandTimeout = 50 * time.Millisecond })
	c := dial(t, path)
	err := c.Rebootstrap(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer from the node") {
		t.Fatalf("Rebootstrap on a hung engine: %v, want a timeout", err)
	}
}

func TestCommandCancelledByCaller(t *testing.T) {
	eng := newTestEngine(0)
	eng.hang = true
	defer close(eng.unhang)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Rebootstrap(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Rebootstrap with an expiring context: %v", err)
	}
	// The connection still serves other requests.
	if s := c.Snapshot(); s.Status.Phase == state.Stopped {
		t.Errorf("snapshot after a cancelled command: %s", s.Status.Reason)
	}
}

func TestTrace(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	if _, err := c.StartTrace(context.Background(), "not an address"); err == nil ||
		!strings.Contains(err.Error(), "not an IPv6 address") {
		t.Errorf("trace to garbage: %v, want the engine's error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dst := eng.Snapshot().Tunnels[0].Peer.String()
	ch, err := c.StartTrace(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[int]int{}
	for len(sent) < 3 || sent[3] < 2 { // two rounds over three hops
		h, ok := recv(t, ch)
		if !ok {
			t.Fatal("trace closed early")
		}
		sent[h.N] = h.Sent
	}
	cancel()
	waitClosed(t, ch)
	waitEnded(t, eng, len(eng.tracked())-1)
}

// waitEnded waits until the engine sees the i-th subscription or trace
// cancelled.
func waitEnded(t *testing.T, eng *testEngine, i int) {
	t.Helper()
	netlab.WaitFor(t, 10*time.Second, "engine stream cancelled", func() error {
		if eng.tracked()[i].Err() == nil {
			return errors.New("still running")
		}
		return nil
	})
}
