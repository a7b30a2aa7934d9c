package node_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/node/control"
	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabDefaultRouteFix drives the default-route fix of a real node
// through its control socket, on the demo's classic conflict: h1 is a
// gateway and h2 has its own default route on the underlay. The node
// reports the conflict and offers a fix naming the exact route; applied,
// that route is in h2's kernel and in the node's state; reverted, h2's
// routes are as before; applied again, the node's stop reverts it while
// its tunnels are still up.
func TestLabDefaultRouteFix(t *testing.T) {
	netlab.Require(t)
	d := formed(t, demo.Config{Nodes: 3, Conflict: true})
	n := d.Nodes[1]
	c := dialNode(t, n)
	ctx := context.Background()

	fix := offeredFix(t, c)
	route := fixRoute(t, fix)
	t.Logf("offered: %s: %s", fix.Summary, fix.Change)
	st := c.Snapshot()
	for _, f := range st.Findings {
		t.Logf("finding %s: %s: %s", f.ID, f.Status, f.Explanation)
	}
	if !hasKernelRow(st, func(r state.KernelRoute) bool { return r.IsDefault() && r.Src.String() == demo.Network }) ||
		!hasKernelRow(st, func(r state.KernelRoute) bool {
			return r.IsDefault() && !r.Src.IsValid() && r.Via.String() == demo.Upstream
		}) {
		t.Fatalf("the state does not show both default routes as rows: %+v", st.Kernel)
	}
	before := underlay(t, n.Host)

	if err := c.ApplyFix(ctx, doctor.Re6stDefaultFixID); err != nil {
		t.Fatal(err)
	}
	installed := wantFollowedRoute(t, n.Host, route)
	netlab.WaitFor(t, 15*time.Second, "the fix's route in the node's state, and the fix applied", func() error {
		st := c.Snapshot()
		if !hasKernelRow(st, func(r state.KernelRoute) bool {
			return r.IsDefault() && !r.Src.IsValid() && r.Proto == state.OriginStatic && strings.Contains(installed, "via "+r.Via.String()+" dev "+r.Dev+" ")
		}) {
			return fmt.Errorf("kernel rows %+v", st.Kernel)
		}
		if fx, ok := finding(st).Applied(); !ok || fx.ID != doctor.Re6stDefaultFixID {
			return fmt.Errorf("finding %+v", finding(st))
		}
		return nil
	})

	if err := c.RevertFix(ctx, doctor.Re6stDefaultFixID); err != nil {
		t.Fatal(err)
	}
	if got := underlay(t, n.Host); !slices.Equal(got, before) {
		t.Fatalf("routes after the revert:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(before, "\n"))
	}
	if err := c.RevertFix(ctx, doctor.Re6stDefaultFixID); err == nil {
		t.Error("a second revert succeeded")
	}

	// Applied again, then the node stops with it in force.
	fix = offeredFix(t, c)
	if err := c.ApplyFix(ctx, doctor.Re6stDefaultFixID); err != nil {
		t.Fatal(err)
	}
	wantFollowedRoute(t, n.Host, fixRoute(t, fix))
	if err := n.Proc.Stop(); err != nil {
		t.Fatal(err)
	}
	// The stop removes the node's own routes; the defaults are as before.
	if got := defaults(underlay(t, n.Host)); !slices.Equal(got, defaults(before)) {
		t.Errorf("default routes after the stop:\n%s\nbefore:\n%s", strings.Join(got, "\n"), strings.Join(defaults(before), "\n"))
	}
	log, _ := os.ReadFile(n.LogFile())
	stop := string(log)
	if i := strings.LastIndex(stop, "fix applied"); i >= 0 {
		stop = stop[i:]
	}
	// The follower deletes its route only if it is still there: had the
	// tunnels gone first, the kernel would have dropped it with them.
	if !regexp.MustCompile(`delete-route .*why=revert\n.*fix reverted as the node stops .*fix=re6st-default`).MatchString(stop) {
		t.Errorf("the node's log does not show the fix's route deleted by the revert at stop:\n%s", stop)
	}
}

// offeredFix waits for the node to report the conflict and offer the fix.
func offeredFix(t *testing.T, c *control.Client) state.Fix {
	t.Helper()
	var fix state.Fix
	netlab.WaitFor(t, 60*time.Second, "the default-route conflict reported with its fix", func() error {
		f := finding(c.Snapshot())
		for _, fx := range f.Fixes {
			if f.Status == state.CheckWarn && fx.ID == doctor.Re6stDefaultFixID && !fx.Applied {
				fix = fx
				return nil
			}
		}
		return fmt.Errorf("finding %+v", f)
	})
	return fix
}

func finding(st state.State) state.Finding {
	for _, f := range st.Findings {
		if f.ID == state.CheckDefaultRoute {
			return f
		}
	}
	return state.Finding{}
}

func hasKernelRow(st state.State, match func(state.KernelRoute) bool) bool {
	return slices.ContainsFunc(st.Kernel, match)
}

// fixRoute is the route a fix adds, from its exact change.
func fixRoute(t *testing.T, fix state.Fix) string {
	t.Helper()
	route, ok := strings.CutPrefix(fix.Change, "ip -6 route add ")
	if !ok || !strings.HasPrefix(route, "default via ") {
		t.Fatalf("the fix does not name its route: %q", fix.Change)
	}
	return route
}

// wantFollowedRoute waits for the fix's route in h's kernel and returns
// it as `ip -6 route` prints it. It is the route the fix named, unless
// re6st's own default moved to another next hop meanwhile: the fix
// follows it.
func wantFollowedRoute(t *testing.T, h *netlab.Host, named string) string {
	t.Helper()
	metric := named[strings.LastIndex(named, " metric "):]
	var got string
	netlab.WaitFor(t, 15*time.Second, "the fix's route in "+h.Name+"'s kernel", func() error {
		out := h.Run(t, "ip", "-6", "route", "show", "default")
		got = ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, " proto static") && strings.Contains(l, metric) && !strings.Contains(l, " from ") {
				got = l
			}
		}
		if got == "" {
			return fmt.Errorf("no route like %q in:\n%s", named, out)
		}
		return nil
	})
	if strings.HasPrefix(got, named) {
		return got
	}
	re6st := h.Run(t, "ip", "-6", "route", "show", "default", "from", demo.Network)
	if netlab.NextHop(re6st) != netlab.NextHop(got) {
		t.Fatalf("installed %q, shown %q, and re6st's default is %q", got, named, re6st)
	}
	t.Logf("re6st's default moved since the fix was shown; the fix followed it: %s", got)
	return got
}

// underlay lists h's main routes that are not re6st's: Babel's routes
// and the taps' come and go with the overlay.
func underlay(t *testing.T, h *netlab.Host) []string {
	var out []string
	for _, l := range strings.Split(h.Run(t, "ip", "-6", "route", "show"), "\n") {
		if l != "" && !strings.Contains(l, "proto babel") && !strings.Contains(l, "dev re6stnet") {
			out = append(out, l)
		}
	}
	return out
}

// defaults are the default routes among routes.
func defaults(routes []string) []string {
	return slices.DeleteFunc(slices.Clone(routes), func(l string) bool { return !strings.HasPrefix(l, "default") })
}

// TestLabFixAfterRestart: a fix in force when the node restarts for a new
// network configuration (re6stnet re-executes itself) is applied again
// after the restart, once the conflict is back.
func TestLabFixAfterRestart(t *testing.T) {
	netlab.Require(t)
	d := formed(t, demo.Config{Nodes: 3, Conflict: true})
	n := d.Nodes[1]
	c := dialNode(t, n)
	fix := offeredFix(t, c)
	if err := c.ApplyFix(context.Background(), doctor.Re6stDefaultFixID); err != nil {
		t.Fatal(err)
	}
	wantFollowedRoute(t, n.Host, fixRoute(t, fix))

	start := time.Now()
	if err := d.RestartRegistry("hello 5"); err != nil {
		t.Fatal(err)
	}
	netlab.WaitFor(t, 60*time.Second, n.Host.Name+" restarted and the fix applied again", func() error {
		log, _ := os.ReadFile(n.LogFile())
		i := strings.LastIndex(string(log), "restarting for the new network config")
		if i < 0 || !regexp.MustCompile(`fix in force before the restart applied again .*fix=re6st-default`).MatchString(string(log)[i:]) {
			return fmt.Errorf("not in the log yet")
		}
		return nil
	})
	t.Logf("the fix was applied again %v after the registry restarted", time.Since(start).Round(time.Millisecond))
	wantFollowedRoute(t, n.Host, fixRoute(t, fix))
	c2, err := control.Dial(n.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if fx, ok := finding(c2.Snapshot()).Applied(); !ok || fx.ID != doctor.Re6stDefaultFixID {
		t.Fatalf("after the restart, the finding %+v", finding(c2.Snapshot()))
	}
}
