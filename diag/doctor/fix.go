package doctor

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"re6st-tui/diag"
	"re6st-tui/diag/defroute"
	"re6st-tui/diag/system"
)

// sysctlFix sets one sysctl and remembers the old value.
type sysctlFix struct {
	id, summary string
	key, value  string
	sys         System
	log         *slog.Logger
	now         func() time.Time
}

func (f *sysctlFix) Info() FixInfo {
	return FixInfo{ID: f.id, Summary: f.summary, Change: "sysctl -w " + f.key + "=" + f.value}
}

func (f *sysctlFix) Apply(ctx context.Context) (Applied, error) {
	old, err := f.sys.Sysctl(f.key)
	if err != nil {
		return nil, fmt.Errorf("fix %s: %w", f.id, err)
	}
	if err := f.sys.SetSysctl(f.key, f.value); err != nil {
		return nil, fmt.Errorf("fix %s: %w", f.id, err)
	}
	f.log.Info("sysctl set", "key", f.key, "before", old, "after", f.value)
	c := diag.Change{Time: f.now(), Action: "set-sysctl", Object: f.key, Before: old, After: f.value}
	return &sysctlApplied{fix: f, change: c}, nil
}

type sysctlApplied struct {
	fix    *sysctlFix
	change diag.Change
	// mu guards reverted and the changes it adds.
	mu       sync.Mutex
	reverted *diag.Change
}

func (a *sysctlApplied) Changes() []diag.Change {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []diag.Change{a.change}
	if a.reverted != nil {
		out = append(out, *a.reverted)
	}
	return out
}

func (a *sysctlApplied) Undo() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reverted != nil {
		return nil
	}
	return []string{"sysctl -w " + a.fix.key + "=" + a.change.Before}
}

func (a *sysctlApplied) Revert(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reverted != nil {
		return nil
	}
	f := a.fix
	if err := f.sys.SetSysctl(f.key, a.change.Before); err != nil {
		return fmt.Errorf("revert %s: %w", f.id, err)
	}
	f.log.Info("sysctl restored", "key", f.key, "value", a.change.Before)
	a.reverted = &diag.Change{Time: f.now(), Action: "set-sysctl", Object: f.key, Before: f.value, After: a.change.Before}
	return nil
}

func (d *Doctor) sysctlFix(id, summary, key, value string) Fix {
	return &sysctlFix{id: id, summary: summary, key: key, value: value, sys: d.Sys, log: d.Log, now: d.Now}
}

// acceptRA2 is fix (b): keep honouring router advertisements on an uplink
// although forwarding is on.
func (d *Doctor) acceptRA2(iface string) Fix {
	return d.sysctlFix("accept-ra-2:"+iface,
		fmt.Sprintf("set net.ipv6.conf.%s.accept_ra=2 so router advertisements still count with forwarding on", iface),
		fmt.Sprintf("net.ipv6.conf.%s.accept_ra", iface), "2")
}

// re6stDefaultFix is fix (a): an unqualified default route through re6st's
// gateway that follows it.
type re6stDefaultFix struct {
	sys     System
	network netip.Prefix
	plan    system.Route // the route Apply installs, were it applied now
	log     *slog.Logger
}

// Re6stDefaultFixID is the id of the fix that makes re6st the default route.
const Re6stDefaultFixID = "re6st-default"

func (d *Doctor) re6stDefault(network netip.Prefix, routes []system.Route) (Fix, bool) {
	plan, ok := defroute.Plan(routes, defroute.Config{Network: network})
	if !ok {
		return nil, false
	}
	return &re6stDefaultFix{sys: d.Sys, network: network, plan: plan, log: d.Log}, true
}

// Info names the exact route, so that a person sees the change before it
// is made.
func (f *re6stDefaultFix) Info() FixInfo {
	return FixInfo{ID: Re6stDefaultFixID, Summary: "route all traffic through re6st, following re6st's next hop as it changes",
		Change: "ip -6 route add " + f.plan.String()}
}

func (f *re6stDefaultFix) Apply(ctx context.Context) (Applied, error) {
	fl, err := defroute.Start(ctx, f.sys, defroute.Config{Network: f.network, Log: f.log})
	if err != nil {
		return nil, err
	}
	return fl, nil
}
