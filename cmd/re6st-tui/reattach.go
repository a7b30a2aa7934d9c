package main

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/node/state"
)

// redialEvery is how often a dashboard attached to a node that went away
// tries its control socket again.
const redialEvery = time.Second

// resubscribeAfter is how long a subscription the node ended waits for the
// connection to end too before it subscribes again on it.
const resubscribeAfter = 2 * time.Second

// reattached is the engine of --attach: the node's control socket,
// dialled again whenever the node goes away, as it does to restart for a
// new network configuration. Subscribers carry on across the gap: they
// are told the node is not answering, then get the new state whole.
type reattached struct {
	path string

	mu sync.Mutex
	c  *control.Client // guarded by mu; the current connection
}

func newReattached(c *control.Client, path string) *reattached {
	return &reattached{path: path, c: c}
}

func (r *reattached) client() *control.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// redial returns a connection other than old, dialling until one comes
// or ctx ends (nil then). Subscribers that lost the same connection share
// the new one.
func (r *reattached) redial(ctx context.Context, old *control.Client) *control.Client {
	t := time.NewTicker(redialEvery)
	defer t.Stop()
	for {
		r.mu.Lock()
		if r.c != old {
			c := r.c
			r.mu.Unlock()
			return c
		}
		c, err := dial(ctx, r.path)
		if err == nil {
			old.Close()
			r.c = c
			r.mu.Unlock()
			return c
		}
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Close ends the current connection.
func (r *reattached) Close() error { return r.client().Close() }

// Subscribe implements ui.Engine, across reconnections.
func (r *reattached) Subscribe(ctx context.Context) <-chan state.Event {
	out := make(chan state.Event, control.SubscribeBuffer)
	send := func(ev state.Event) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		c := r.client()
		sub := c.Subscribe(ctx)
		for {
			for ev := range sub {
				if !send(ev) || ev.Kind == state.KindLagged {
					return // a lagged dashboard subscribes again
				}
			}
			// The subscription can end a moment before the connection does.
			select {
			case <-c.Done(): // the node went away: wait for it
				gone := state.Status{Phase: state.Stopped, Since: time.Now(),
					Reason: "the node does not answer on " + r.path + "; trying again every second"}
				if !send(state.Event{Kind: state.KindStatus, Time: gone.Since, Status: &gone}) {
					return
				}
				if c = r.redial(ctx, c); c == nil {
					return
				}
			case <-ctx.Done():
				return
			case <-time.After(resubscribeAfter):
				// The node ended the subscription but kept the connection.
			}
			// Subscribed before the snapshot, so that no change falls in
			// between; one in both is applied twice, which is harmless.
			sub = c.Subscribe(ctx)
			snap := c.Snapshot()
			if !send(state.Event{Kind: state.KindSnapshot, Time: time.Now(), Snapshot: &snap}) {
				return
			}
		}
	}()
	return out
}

// The rest of ui.Engine goes to the current connection.

func (r *reattached) Snapshot() state.State { return r.client().Snapshot() }
func (r *reattached) KillTunnel(ctx context.Context, id string) error {
	return r.client().KillTunnel(ctx, id)
}
func (r *reattached) ConnectPeer(ctx context.Context, p netip.Prefix) error {
	return r.client().ConnectPeer(ctx, p)
}
func (r *reattached) RefreshNetworkConfig(ctx context.Context) error {
	return r.client().RefreshNetworkConfig(ctx)
}
func (r *reattached) Rebootstrap(ctx context.Context) error { return r.client().Rebootstrap(ctx) }
func (r *reattached) StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error) {
	return r.client().StartTrace(ctx, dst)
}
func (r *reattached) ApplyFix(ctx context.Context, id string) error {
	return r.client().ApplyFix(ctx, id)
}
func (r *reattached) RevertFix(ctx context.Context, id string) error {
	return r.client().RevertFix(ctx, id)
}
