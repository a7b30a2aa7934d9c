package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/node/state"
	"re6st-tui/ui"
	"re6st-tui/ui/fake"
)

var _ ui.Engine = (*reattached)(nil)

// serveFake serves a fake node holding st on the control socket at path
// until the returned stop is called.
func serveFake(t *testing.T, path string, st state.State) (stop func()) {
	t.Helper()
	ln, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&control.Server{Engine: fake.New(st)}).Serve(ctx, ln)
	}()
	return func() { cancel(); <-done }
}

// TestReattach: a dashboard attached to a node that goes away (as for a
// restart) is told so, then shown the node again once it answers.
func TestReattach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.sock")
	first := fake.Typical(time.Now())
	stop := serveFake(t, path, first)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := dial(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	r := newReattached(c, path)
	defer r.Close()
	events := r.Subscribe(ctx)
	if got := r.Snapshot().Identity.Prefix; got != first.Identity.Prefix {
		t.Fatalf("attached to %v", got)
	}

	stop()
	for ev := range events {
		if ev.Kind == state.KindStatus && ev.Status.Phase == state.Stopped && strings.Contains(ev.Status.Reason, "does not answer") {
			break
		}
	}
	second := fake.Empty(time.Now())
	second.Identity.Prefix = netip.MustParsePrefix("2001:db8:42:77::/64")
	defer serveFake(t, path, second)()
	for ev := range events {
		if ev.Kind == state.KindSnapshot {
			if ev.Snapshot.Identity.Prefix != second.Identity.Prefix {
				t.Fatalf("reattached to %v, want %v", ev.Snapshot.Identity.Prefix, second.Identity.Prefix)
			}
			break
		}
	}
	if got := r.Snapshot().Identity.Prefix; got != second.Identity.Prefix {
		t.Fatalf("commands go to %v, want the node that came back (%+v)", got, r.Snapshot().Status)
	}
	cancel()
	for range events { // closes once ctx ends
	}
}
