package node

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/node/state"
)

// When the doctor's checks run. The registry's checks run hourly, as
// re6st's own staleness check, so that a network of many nodes does not
// load its registry every minute; the subtrees probe adds and deletes a
// route, so it runs once, or every route change it causes would call it
// again. The path MTU check sends a few echo requests to one node.
const (
	checkEvery     = time.Minute
	registryEvery  = time.Hour
	routeSettle    = 2 * time.Second  // after the last kernel route change
	routeSettleMax = 10 * time.Second // after the first, while routes keep changing
)

var (
	// routeChecks look at routes and the sysctls that govern them; they
	// run together, since two of them may offer the same fix.
	routeChecks = []string{"default-route", "forwarding", "underlay-loop"}
	// minuteChecks run every minute.
	minuteChecks = append(slices.Clone(routeChecks), "firewall", "certificate", "networkmanager", "path-mtu", "upnp")
	// hourlyChecks run every hour.
	hourlyChecks = append(slices.Clone(minuteChecks), "registry", "ca-fingerprint", "clock")
)

// checkup runs the doctor's checks for the node, publishes them as
// findings, and holds the fixes applied through the node until they are
// reverted or the node stops.
type checkup struct {
	// doctor returns a Doctor for one round, with what the checks need to
	// know of the node now.
	doctor  func() *doctor.Doctor
	publish func([]state.Finding)
	log     *slog.Logger
	changed chan struct{} // routes changed, or a fix was applied or reverted
	upnp    chan struct{} // the UPnP mappings changed
	done    chan struct{} // closed when run returns

	// fixMu makes applying and reverting one at a time, and keeps stop
	// from reverting under a fix being applied.
	fixMu sync.Mutex

	// mu guards the fields below.
	mu      sync.Mutex
	results map[string]doctor.Result // the latest outcome of each check
	applied []*appliedFix            // oldest first
	stopped bool
	// pending are fixes to apply again once a check offers them (they
	// were in force before a restart), until pendingUntil.
	pending      []string
	pendingUntil time.Time

	// pubMu keeps findings published in the order they were made.
	pubMu sync.Mutex
}

// appliedFix is a fix in force and the handle that undoes exactly it.
type appliedFix struct {
	check  string // the check that offered it
	info   doctor.FixInfo
	handle doctor.Applied
}

func newCheckup(doc func() *doctor.Doctor, publish func([]state.Finding), log *slog.Logger) *checkup {
	return &checkup{doctor: doc, publish: publish, log: log,
		changed: make(chan struct{}, 1), upnp: make(chan struct{}, 1), done: make(chan struct{}), results: map[string]doctor.Result{}}
}

// routesChanged asks for a round of the route checks once the routes
// settle. It never blocks.
func (c *checkup) routesChanged() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// upnpChanged asks for the UPnP check at once. It never blocks.
func (c *checkup) upnpChanged() {
	select {
	case c.upnp <- struct{}{}:
	default:
	}
}

// run runs every check at once, then on their schedule, until ctx ends.
func (c *checkup) run(ctx context.Context) {
	defer close(c.done)
	c.round(ctx, doctor.IDs())
	every := time.NewTicker(checkEvery)
	defer every.Stop()
	nextHourly := time.Now().Add(registryEvery)
	settle := time.NewTimer(0)
	<-settle.C
	var settling bool
	var firstChange time.Time
	for {
		select {
		case <-ctx.Done():
			settle.Stop()
			return
		case <-c.changed:
			if !settling {
				settling, firstChange = true, time.Now()
			}
			settle.Reset(min(routeSettle, time.Until(firstChange.Add(routeSettleMax))))
		case <-settle.C:
			settling = false
			c.round(ctx, routeChecks)
		case <-c.upnp:
			c.round(ctx, []string{"upnp"})
		case now := <-every.C:
			ids := minuteChecks
			if now.After(nextHourly) {
				ids, nextHourly = hourlyChecks, now.Add(registryEvery)
			}
			c.round(ctx, ids)
		}
	}
}

// round runs the checks ids and publishes what changed.
func (c *checkup) round(ctx context.Context, ids []string) {
	results := c.doctor().RunChecks(ctx, ids...)
	if ctx.Err() != nil {
		return // cut short by the stop: half-run checks say nothing
	}
	c.mu.Lock()
	for _, r := range results {
		c.results[r.ID] = r
	}
	c.mu.Unlock()
	c.publishFindings()
	c.reapply(ctx)
}

// reapplyAfter asks for the fixes ids, in force before a restart, to be
// applied again as soon as their checks offer them, until deadline.
func (c *checkup) reapplyAfter(ids []string, deadline time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending, c.pendingUntil = slices.Clone(ids), deadline
}

// reapply applies the pending fixes the latest checks offer, and gives
// up on the others once their time is over.
func (c *checkup) reapply(ctx context.Context) {
	c.mu.Lock()
	var offered []string
	for _, id := range c.pending {
		if _, _, err := c.offeredLocked(id); err == nil {
			offered = append(offered, id)
		}
	}
	c.pending = slices.DeleteFunc(c.pending, func(id string) bool { return slices.Contains(offered, id) })
	var late []string
	if len(c.pending) > 0 && time.Now().After(c.pendingUntil) {
		late, c.pending = c.pending, nil
	}
	c.mu.Unlock()
	for _, id := range offered {
		if err := c.apply(ctx, id); err != nil {
			c.log.Error("fix in force before the restart not applied again", "fix", id, "err", err)
			continue
		}
		c.log.Info("fix in force before the restart applied again", "fix", id)
	}
	for _, id := range late {
		c.log.Warn("fix in force before the restart not applied again: no check offers it any more", "fix", id)
	}
}

// publishFindings hands the current findings to publish.
func (c *checkup) publishFindings() {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	c.mu.Lock()
	f := c.findingsLocked()
	c.mu.Unlock()
	c.publish(f)
}

// findingsLocked turns the latest results into findings, in report order,
// with the fixes in force marked applied; a fix in force that its check no
// longer offers (its problem is cured) stays listed, to be reverted.
func (c *checkup) findingsLocked() []state.Finding {
	var out []state.Finding
	for _, id := range doctor.IDs() {
		r, ok := c.results[id]
		if !ok {
			continue
		}
		f := state.Finding{ID: r.ID, Title: r.Title, Status: state.CheckStatus(r.Status),
			Explanation: r.Summary, Details: slices.Clone(r.Details)}
		for _, fi := range r.Fixes {
			if a := c.appliedLocked(fi.ID); a != nil {
				f.Fixes = append(f.Fixes, a.state())
			} else {
				f.Fixes = append(f.Fixes, state.Fix{ID: fi.ID, Summary: fi.Summary, Change: fi.Change})
			}
		}
		for _, a := range c.applied {
			if a.check == id && !slices.ContainsFunc(r.Fixes, func(fi doctor.FixInfo) bool { return fi.ID == a.info.ID }) {
				f.Fixes = append(f.Fixes, a.state())
			}
		}
		out = append(out, f)
	}
	return out
}

func (c *checkup) appliedLocked(id string) *appliedFix {
	for _, a := range c.applied {
		if a.info.ID == id {
			return a
		}
	}
	return nil
}

func (a *appliedFix) state() state.Fix {
	fx := state.Fix{ID: a.info.ID, Summary: a.info.Summary, Change: a.info.Change, Applied: true, Undo: a.handle.Undo()}
	for _, ch := range a.handle.Changes() {
		fx.Changes = append(fx.Changes, state.Change(ch))
	}
	return fx
}

// apply applies the fix id that the latest checks offer.
func (c *checkup) apply(ctx context.Context, id string) error {
	c.fixMu.Lock()
	defer c.fixMu.Unlock()
	c.mu.Lock()
	fix, check, err := c.offeredLocked(id)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	h, err := fix.Apply(ctx)
	if err != nil {
		return fmt.Errorf("apply fix %s: %w", id, err)
	}
	a := &appliedFix{check: check, info: fix.Info(), handle: h}
	c.mu.Lock()
	c.applied = append(c.applied, a)
	c.mu.Unlock()
	c.log.Info("fix applied", "fix", id, "change", a.info.Change)
	c.publishFindings()
	c.routesChanged() // check again: the fix should have cured something
	return nil
}

// offeredLocked finds the fix id among the latest results, if it may be
// applied now.
func (c *checkup) offeredLocked(id string) (doctor.Fix, string, error) {
	if c.stopped {
		return nil, "", fmt.Errorf("fix %s: the node is stopping", id)
	}
	if c.appliedLocked(id) != nil {
		return nil, "", fmt.Errorf("fix %s is already applied; revert it first to apply it again", id)
	}
	for _, check := range doctor.IDs() {
		r, ok := c.results[check]
		if !ok {
			continue
		}
		fix, ok := r.Fix(id)
		if !ok {
			continue
		}
		for _, a := range c.applied {
			if a.check == check {
				return nil, "", fmt.Errorf("fix %s: fix %s of the same check is applied; revert it first", id, a.info.ID)
			}
		}
		return fix, check, nil
	}
	return nil, "", fmt.Errorf("fix %q: no check offers it now; `re6st-tui doctor` lists the checks and their fixes", id)
}

// revert undoes the fix id, exactly as it was applied.
func (c *checkup) revert(ctx context.Context, id string) error {
	c.fixMu.Lock()
	defer c.fixMu.Unlock()
	c.mu.Lock()
	a := c.appliedLocked(id)
	c.mu.Unlock()
	if a == nil {
		return fmt.Errorf("fix %q is not applied: nothing to revert", id)
	}
	if err := a.handle.Revert(ctx); err != nil {
		return fmt.Errorf("revert fix %s: %w", id, err)
	}
	c.mu.Lock()
	c.applied = slices.DeleteFunc(c.applied, func(x *appliedFix) bool { return x == a })
	c.mu.Unlock()
	c.log.Info("fix reverted", "fix", id)
	c.publishFindings()
	c.routesChanged()
	return nil
}

// stop waits for run to return (its context must be done), then reverts
// every fix still applied, newest first, and refuses new ones. It
// returns the fixes it reverted, oldest first.
func (c *checkup) stop(timeout time.Duration) []string {
	<-c.done
	c.fixMu.Lock()
	defer c.fixMu.Unlock()
	c.mu.Lock()
	c.stopped = true
	applied := slices.Clone(c.applied)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var reverted []string
	for i := len(applied) - 1; i >= 0; i-- {
		a := applied[i]
		if err := a.handle.Revert(ctx); err != nil {
			c.log.Error("revert fix as the node stops", "fix", a.info.ID, "err", err)
			continue
		}
		c.log.Info("fix reverted as the node stops", "fix", a.info.ID)
		reverted = append(reverted, a.info.ID)
	}
	c.mu.Lock()
	c.applied = nil
	c.mu.Unlock()
	slices.Reverse(reverted)
	return reverted
}
