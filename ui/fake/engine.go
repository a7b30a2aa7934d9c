package fake

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"

	"re6st-tui/node/state"
)

// subscriberBuffer is how many events a subscriber may lag before it is
// dropped with a final KindLagged event.
const subscriberBuffer = 1024

// Engine is an in-memory node. Step advances it by one round; Run calls
// Step once a second until its context ends.
type Engine struct {
	mu   sync.Mutex // guards the fields below
	st   state.State
	subs map[chan state.Event]struct{}
	rnd  *rand.Rand
	next int // index of the next peer ConnectPeer or Step brings up
}

// New returns an engine that starts from st.
func New(st state.State) *Engine {
	return &Engine{st: st.Clone(), subs: map[chan state.Event]struct{}{},
		rnd: rand.New(rand.NewPCG(1, 2)), next: len(st.Tunnels)}
}

// Snapshot implements ui.Engine.
func (e *Engine) Snapshot() state.State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.Clone()
}

// Subscribe implements ui.Engine.
func (e *Engine) Subscribe(ctx context.Context) <-chan state.Event {
	ch := make(chan state.Event, subscriberBuffer)
	e.mu.Lock()
	e.subs[ch] = struct{}{}
	e.mu.Unlock()
	go func() {
		<-ctx.Done()
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subs[ch]; ok {
			delete(e.subs, ch)
			close(ch)
		}
	}()
	return ch
}

// Run steps the engine every interval until ctx ends, then closes every
// subscription.
func (e *Engine) Run(ctx context.Context, interval time.Duration) error {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			e.closeAll()
			return nil
		case now := <-tk.C:
			e.Step(now)
		}
	}
}

func (e *Engine) closeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for ch := range e.subs {
		delete(e.subs, ch)
		close(ch)
	}
}

// emitLocked applies ev to the state and sends it to every subscriber.
// A subscriber whose buffer is full is dropped: the engine never waits.
func (e *Engine) emitLocked(ev state.Event) {
	e.st.Apply(ev)
	for ch := range e.subs {
		select {
		case ch <- ev:
		default:
			delete(e.subs, ch)
			select { // make room so the lagged notice fits
			case <-ch:
			default:
			}
			ch <- state.Event{Kind: state.KindLagged, Time: ev.Time}
			close(ch)
		}
	}
}

// Step moves traffic through the tunnels, jitters RTTs and now and then
// logs something, as a node does within a second.
func (e *Engine) Step(now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cs := make([]state.Counters, 0, len(e.st.Tunnels))
	for i, t := range e.st.Tunnels {
		if t.State == state.TunnelConnecting {
			t.State, t.Since = state.TunnelUp, now
			e.emitLocked(state.Event{Kind: state.KindTunnel, Time: now, Tunnel: &t})
			e.addNeighbourLocked(now, t)
			continue
		}
		load := uint64(1+i%7) * 4096
		cs = append(cs, state.Counters{ID: t.ID, BytesIn: t.BytesIn + load + e.rnd.Uint64N(load),
			BytesOut: t.BytesOut + load/2 + e.rnd.Uint64N(load)})
	}
	if len(cs) > 0 {
		e.emitLocked(state.Event{Kind: state.KindCounters, Time: now, Counters: cs})
	}
	if n := len(e.st.Neighbours); n > 0 {
		nb := e.st.Neighbours[e.rnd.IntN(n)]
		nb.RTT = time.Duration(2+e.rnd.IntN(60))*time.Millisecond + 250*time.Microsecond
		e.emitLocked(state.Event{Kind: state.KindNeighbour, Time: now, Neighbour: &nb})
	}
	if n := len(e.st.Routes); n > 0 && e.rnd.IntN(2) == 0 { // metrics drift as RTTs do
		r := e.st.Routes[e.rnd.IntN(n)]
		if r.Metric < state.Infinity-64 {
			r.Metric = uint16(max(96, int(r.Metric)+e.rnd.IntN(64)-32))
			e.emitLocked(state.Event{Kind: state.KindRoute, Time: now, Route: &r})
		}
	}
	if e.rnd.IntN(3) == 0 {
		e.logLocked(now, slog.LevelDebug, "babel", "update sent", state.Attr{Key: "iface", Value: "re6stnet1"})
	}
}

func (e *Engine) addNeighbourLocked(now time.Time, t state.Tunnel) {
	nb := state.Neighbour{Addr: t.LinkLocal, Iface: t.Iface, Reach: 0x8000, RxCost: 96, TxCost: 96, Cost: 96, RTT: 9 * time.Millisecond}
	e.emitLocked(state.Event{Kind: state.KindNeighbour, Time: now, Neighbour: &nb})
	r := babelRoute(t.Peer, anyPrefix, 96, e.next, t)
	e.emitLocked(state.Event{Kind: state.KindRoute, Time: now, Route: &r})
	k := kernelVia(t.Peer, t)
	e.emitLocked(state.Event{Kind: state.KindKernel, Time: now, Kernel: &k})
}

func (e *Engine) logLocked(now time.Time, lvl slog.Level, src, msg string, attrs ...state.Attr) {
	e.emitLocked(state.Event{Kind: state.KindLog, Time: now, Log: &state.LogRecord{
		Time: now, Level: lvl, Source: src, Message: msg, Attrs: attrs}})
}

func (e *Engine) now() time.Time { return time.Now() }

// KillTunnel implements ui.Engine: the tunnel, its neighbour and every
// route through it go away.
func (e *Engine) KillTunnel(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.st.Tunnels, func(t state.Tunnel) bool { return t.ID == id })
	if i < 0 {
		return fmt.Errorf("kill tunnel %s: no such tunnel; it may have closed already, refresh the peers list", id)
	}
	t, now := e.st.Tunnels[i], e.now()
	e.emitLocked(state.Event{Kind: state.KindTunnel, Time: now, Removed: true, Tunnel: &t})
	for _, nb := range slices.Clone(e.st.Neighbours) {
		if nb.Addr == t.LinkLocal && nb.Iface == t.Iface {
			e.emitLocked(state.Event{Kind: state.KindNeighbour, Time: now, Removed: true, Neighbour: &nb})
		}
	}
	for _, r := range slices.Clone(e.st.Routes) {
		if r.NextHop == t.LinkLocal && r.Iface == t.Iface {
			e.emitLocked(state.Event{Kind: state.KindRoute, Time: now, Removed: true, Route: &r})
		}
	}
	for _, k := range slices.Clone(e.st.Kernel) {
		if k.Via == t.LinkLocal && k.Dev == t.Iface {
			e.emitLocked(state.Event{Kind: state.KindKernel, Time: now, Removed: true, Kernel: &k})
		}
	}
	e.logLocked(now, slog.LevelInfo, "node", "tunnel killed", state.Attr{Key: "tunnel", Value: id}, state.Attr{Key: "peer", Value: t.Peer.String()})
	return nil
}

// ConnectPeer implements ui.Engine: a client tunnel appears, connecting,
// and comes up at the next Step.
func (e *Engine) ConnectPeer(ctx context.Context, prefix netip.Prefix) error {
	if !prefix.IsValid() || !network.Contains(prefix.Addr()) {
		return fmt.Errorf("connect to %s: not inside the network %s; pick a prefix from the peers or routes tab", prefix, network)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if slices.ContainsFunc(e.st.Tunnels, func(t state.Tunnel) bool { return t.Peer == prefix.Masked() }) {
		return fmt.Errorf("connect to %s: a tunnel to this peer exists already", prefix)
	}
	now := e.now()
	t := tunnel(now, e.next)
	e.next++
	t.Peer, t.State, t.BytesIn, t.BytesOut = prefix.Masked(), state.TunnelConnecting, 0, 0
	t.Role, t.Iface = state.Client, fmt.Sprintf("re6stnet%d", 100+e.next)
	t.ID = t.Iface
	e.emitLocked(state.Event{Kind: state.KindTunnel, Time: now, Tunnel: &t})
	e.logLocked(now, slog.LevelInfo, "node", "connecting", state.Attr{Key: "peer", Value: t.Peer.String()}, state.Attr{Key: "tunnel", Value: t.ID})
	return nil
}

// RefreshNetworkConfig implements ui.Engine.
func (e *Engine) RefreshNetworkConfig(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	r := e.st.Registry
	r.ConfigAge, r.LastContact, r.Reachable = now, now, true
	e.emitLocked(state.Event{Kind: state.KindRegistry, Time: now, Registry: &r})
	e.logLocked(now, slog.LevelInfo, "node", "network configuration fetched", state.Attr{Key: "source", Value: r.URL})
	return nil
}

// Rebootstrap implements ui.Engine.
func (e *Engine) Rebootstrap(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	r := e.st.Registry
	r.CachedPeers, r.LastContact = r.CachedPeers+1, now
	e.emitLocked(state.Event{Kind: state.KindRegistry, Time: now, Registry: &r})
	e.logLocked(now, slog.LevelInfo, "node", "bootstrap peer from the registry", state.Attr{Key: "peer", Value: "42/16"})
	return nil
}

// ApplyFix implements ui.Engine for the default-route finding's fixes.
func (e *Engine) ApplyFix(ctx context.Context, id string) error { return e.setFix(id, true) }

// RevertFix implements ui.Engine.
func (e *Engine) RevertFix(ctx context.Context, id string) error { return e.setFix(id, false) }

func (e *Engine) setFix(id string, apply bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := slices.IndexFunc(e.st.Findings, func(f state.Finding) bool {
		return slices.ContainsFunc(f.Fixes, func(x state.Fix) bool { return x.ID == id })
	})
	if i < 0 {
		return fmt.Errorf("fix %s: no check offers it; run the checks again", id)
	}
	cur, _ := e.st.Findings[i].Applied()
	switch {
	case apply && cur.ID == id:
		return fmt.Errorf("fix %s: already applied", id)
	case apply && cur.ID != "":
		return fmt.Errorf("fix %s: %s is applied; revert it first", id, cur.ID)
	case !apply && cur.ID != id:
		return fmt.Errorf("fix %s: not applied, nothing to revert", id)
	}
	now := e.now()
	applied, verb := id, "applied"
	if !apply {
		applied, verb = "", "reverted"
	}
	f := defaultRouteFinding(applied)
	e.emitLocked(state.Event{Kind: state.KindFinding, Time: now, Finding: &f})
	k := raDefault
	if id == fixRe6stDefault {
		k = re6stDefault
	}
	e.emitLocked(state.Event{Kind: state.KindKernel, Time: now, Removed: !apply, Kernel: &k})
	e.logLocked(now, slog.LevelInfo, "diag", "fix "+verb, state.Attr{Key: "source", Value: id})
	return nil
}
