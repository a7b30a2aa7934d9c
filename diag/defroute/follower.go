package defroute

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"re6st-tui/diag"
	"re6st-tui/diag/system"
)

// Kernel is what the follower needs from the system; *system.Kernel is one.
type Kernel interface {
	Routes() ([]system.Route, error)
	AddRoute(system.Route) error
	ReplaceRoute(system.Route) error
	DeleteRoute(system.Route) error
	WatchRoutes(ctx context.Context) (<-chan struct{}, error)
}

// Config says which routes are re6st's.
type Config struct {
	Network netip.Prefix // the re6st network, e.g. 2001:db8:42::/48
	// Metric of the installed route; 0 picks one below every other
	// unqualified default route (at least 1).
	Metric int
	Log    *slog.Logger // nil: discard
	now    func() time.Time
}

// Follower keeps the unqualified default route in step with re6st's.
type Follower struct {
	k      Kernel
	net    netip.Prefix
	metric int
	log    *slog.Logger
	now    func() time.Time
	cancel context.CancelFunc
	done   chan struct{}

	// mu guards the fields below.
	mu        sync.Mutex
	installed *system.Route // ours, as last installed
	displaced *system.Route // a route with our key that was there before
	touched   bool          // we replaced the route with our key at least once
	changes   []diag.Change
	err       error // last reconcile error
	stopped   bool
}

// Start installs the route (if re6st has a default) and follows re6st's
// default route until Revert is called; ctx bounds only the start. Never
// use it on a re6st gateway, whose plain default route is what it exports.
func Start(ctx context.Context, k Kernel, cfg Config) (*Follower, error) {
	if !cfg.Network.IsValid() || !cfg.Network.Addr().Is6() || cfg.Network.Bits() == 0 {
		return nil, fmt.Errorf("defroute: re6st network %v is not an IPv6 prefix such as 2001:db8:42::/48", cfg.Network)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := &Follower{k: k, net: cfg.Network.Masked(), metric: cfg.Metric, log: cfg.Log, now: cfg.now, done: make(chan struct{})}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.now == nil {
		f.now = time.Now
	}
	routes, err := k.Routes()
	if err != nil {
		return nil, fmt.Errorf("defroute: %w", err)
	}
	if f.metric == 0 {
		f.metric = pickMetric(routes)
	}
	for _, r := range routes {
		if r.Key() == f.key() {
			d := r
			f.displaced = &d
		}
	}
	// Watch before the first reconcile so no change falls in between.
	wctx, cancel := context.WithCancel(context.Background())
	events, err := k.WatchRoutes(wctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("defroute: %w", err)
	}
	f.cancel = cancel
	if err := f.reconcile(); err != nil {
		cancel()
		return nil, err
	}
	go f.follow(wctx, events)
	return f, nil
}

// Plan returns the route Start would install now given the kernel's
// routes, so that the exact change can be shown before it is made; false
// when re6st has no default route yet (Start then waits for one).
func Plan(routes []system.Route, cfg Config) (system.Route, bool) {
	f := &Follower{net: cfg.Network.Masked(), metric: cfg.Metric}
	if f.metric == 0 {
		f.metric = pickMetric(routes)
	}
	gw, ok := f.gateway(routes)
	if !ok {
		return system.Route{}, false
	}
	return f.want(gw), true
}

// pickMetric returns a metric below every other unqualified default route.
func pickMetric(routes []system.Route) int {
	m := 1024 // the kernel's default for IPv6 routes
	for _, r := range routes {
		if r.IsDefault() && !r.HasSrc() && r.Table == system.TableMain && r.Metric <= m {
			m = r.Metric - 1
		}
	}
	return max(m, 1)
}

func (f *Follower) key() string { return f.want(system.Route{}).Key() }

// want is our route through re6st's gateway gw.
func (f *Follower) want(gw system.Route) system.Route {
	return system.Route{
		Dst: netip.PrefixFrom(netip.IPv6Unspecified(), 0), Via: gw.Via, Dev: gw.Dev,
		Table: system.TableMain, Metric: f.metric, Proto: system.ProtoStatic, Type: system.TypeUnicast,
	}
}

// gateway returns re6st's best default route: "default from <network>".
func (f *Follower) gateway(routes []system.Route) (system.Route, bool) {
	var best system.Route
	found := false
	for _, r := range routes {
		if r.IsDefault() && r.Src == f.net && r.Table == system.TableMain && r.Type == system.TypeUnicast &&
			(r.Via.IsValid() || r.Dev != "") && (!found || r.Metric < best.Metric) {
			best, found = r, true
		}
	}
	return best, found
}

func (f *Follower) follow(ctx context.Context, events <-chan struct{}) {
	defer close(f.done)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				if ctx.Err() == nil {
					f.log.Error("route watch ended: the default route no longer follows re6st; revert and apply the fix again")
				}
				return
			}
			if err := f.reconcile(); err != nil {
				f.log.Warn("follow re6st default route", "err", err)
			}
		}
	}
}

// reconcile makes our route match re6st's current gateway.
func (f *Follower) reconcile() error {
	routes, err := f.k.Routes()
	if err != nil {
		return f.fail(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return nil
	}
	gw, ok := f.gateway(routes)
	cur, present := f.findLocked(routes)
	switch {
	case !ok && present && f.installed != nil:
		if err := f.k.DeleteRoute(cur); err != nil {
			return f.failLocked(err)
		}
		f.recordLocked("delete-route", cur, "no re6st default route")
		f.installed = nil
		if err := f.restoreLocked(); err != nil {
			return f.failLocked(err)
		}
	case ok && (!present || cur.Via != gw.Via || cur.Dev != gw.Dev || cur.Proto != system.ProtoStatic):
		w := f.want(gw)
		if err := f.k.ReplaceRoute(w); err != nil {
			return f.failLocked(err)
		}
		before := ""
		if present {
			before = cur.String()
		}
		f.changes = append(f.changes, diag.Change{Time: f.now(), Action: "replace-route", Object: w.String(), Before: before, After: w.String()})
		f.log.Info("default route follows re6st", "prefix", f.net, "via", w.Via, "iface", w.Dev, "metric", w.Metric)
		f.installed, f.touched = &w, true
	}
	f.err = nil
	return nil
}

func (f *Follower) findLocked(routes []system.Route) (system.Route, bool) {
	for _, r := range routes {
		if r.Key() == f.key() {
			return r, true
		}
	}
	return system.Route{}, false
}

func (f *Follower) recordLocked(action string, r system.Route, why string) {
	f.changes = append(f.changes, diag.Change{Time: f.now(), Action: action, Object: r.String(), Before: r.String()})
	f.log.Info("default route "+action, "route", r.String(), "why", why)
}

func (f *Follower) fail(err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failLocked(err)
}

func (f *Follower) failLocked(err error) error {
	f.err = fmt.Errorf("defroute: %w", err)
	return f.err
}

// Route returns the route installed now, if any.
func (f *Follower) Route() (system.Route, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.installed == nil {
		return system.Route{}, false
	}
	return *f.installed, true
}

// Err returns the last error met while following, or nil.
func (f *Follower) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Changes returns every change made so far, oldest first.
func (f *Follower) Changes() []diag.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]diag.Change(nil), f.changes...)
}

// Undo is what Revert would do now, as `ip` commands: delete our route,
// put back the one it displaced.
func (f *Follower) Undo() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return nil
	}
	var out []string
	if f.installed != nil {
		out = append(out, "ip -6 route del "+f.installed.String())
	}
	if f.displaced != nil && f.touched {
		out = append(out, "ip -6 route add "+f.displaced.String())
	}
	return out
}

// Revert stops following, deletes our route and puts back the route it
// displaced, if any. It is idempotent.
func (f *Follower) Revert(ctx context.Context) error {
	f.cancel()
	select {
	case <-f.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return nil
	}
	f.stopped = true
	routes, err := f.k.Routes()
	if err != nil {
		return fmt.Errorf("defroute: revert: %w", err)
	}
	if cur, ok := f.findLocked(routes); ok && f.installed != nil {
		if err := f.k.DeleteRoute(cur); err != nil {
			return fmt.Errorf("defroute: revert: %w", err)
		}
		f.recordLocked("delete-route", cur, "revert")
	}
	f.installed = nil
	if err := f.restoreLocked(); err != nil {
		return fmt.Errorf("defroute: revert: %w", err)
	}
	return nil
}

// restoreLocked puts back the route ours replaced, if it did.
func (f *Follower) restoreLocked() error {
	d := f.displaced
	if d == nil || !f.touched {
		return nil
	}
	if err := f.k.AddRoute(*d); err != nil {
		return fmt.Errorf("restore %v: %w", d, err)
	}
	f.touched = false
	f.changes = append(f.changes, diag.Change{Time: f.now(), Action: "add-route", Object: d.String(), After: d.String()})
	f.log.Info("default route restored", "route", d.String())
	return nil
}
