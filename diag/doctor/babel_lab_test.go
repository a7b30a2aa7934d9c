package doctor

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// startBabeld runs babeld 1.12 on h's uplink with the given filter statements.
func startBabeld(t *testing.T, h *netlab.Host, conf ...string) *netlab.Process {
	if _, err := exec.LookPath("babeld"); err != nil {
		t.Fatalf("babeld missing: apt-get install babeld (%v)", err)
	}
	args := []string{"-I", "", "-S", filepath.Join(t.TempDir(), "babeld.state"), "-h", "1", "-H", "1"}
	for _, c := range conf {
		args = append(args, "-C", c)
	}
	p, err := h.Start("babeld", append(args, h.Iface)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// With real Babel: two gateways announce re6st's default; the node installs
// it as "default from <network>" beside its own default route. The fix
// makes re6st the default and follows Babel when the chosen gateway dies.
func TestLabDefaultRouteFollowsBabel(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 4})
	h1, isp := l.Host("h1"), l.Host("h2")
	const internet, overlay = "2001:db8:ffff::1", "2001:db8:42:1::1"
	gateways := map[string]*netlab.Process{}
	for _, g := range []*netlab.Host{l.Host("h3"), l.Host("h4")} {
		// babeld does not redistribute proto boot routes: make it static.
		g.Run(t, "ip", "-6", "route", "add", "default", "via", isp.IPv6.String(), "dev", "eth0", "proto", "static")
		gateways[g.LinkLocal.String()] = startBabeld(t, g, "redistribute local deny",
			"redistribute ip ::/0 eq 0 src-prefix "+network.String(), "redistribute deny")
	}
	h1.Run(t, "ip", "-6", "addr", "add", overlay+"/64", "dev", "lo", "nodad")
	h1.Run(t, "ip", "-6", "route", "add", "default", "via", isp.IPv6.String(), "dev", "eth0")
	startBabeld(t, h1, "redistribute local deny", "redistribute deny")

	var gw string
	netlab.WaitFor(t, 30*time.Second, "re6st's default from Babel", func() error {
		out := h1.Run(t, "ip", "-6", "route", "show", "default", "from", network.String())
		if !strings.Contains(out, "proto babel") {
			return fmt.Errorf("no babel default: %q", out)
		}
		gw = strings.Fields(out[strings.Index(out, "via "):])[1]
		return nil
	})
	if gateways[gw] == nil {
		t.Fatalf("re6st default via %s, not a gateway", gw)
	}
	d := labDoctor(t, h1, Node{Network: network})
	r := runCheck(t, d, "default-route")
	expect(t, r, Warn)
	before := h1.Run(t, "ip", "-6", "route", "show", "table", "all")
	fix, _ := r.Fix(Re6stDefaultFixID)
	applied, err := fix.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	via := func(want string) func() error {
		return func() error {
			for _, args := range [][]string{{internet}, {internet, "from", overlay}} {
				if got := routeVia(t, h1, args...); got != want {
					return fmt.Errorf("route get %v via %s, want %s", args, got, want)
				}
			}
			return nil
		}
	}
	netlab.WaitFor(t, 10*time.Second, "all traffic via the Babel gateway", via(gw))

	// The gateway goes away; babeld retracts its route as it stops.
	if err := gateways[gw].Stop(); err != nil {
		t.Logf("babeld stop: %v", err)
	}
	var other string
	for ll := range gateways {
		if ll != gw {
			other = ll
		}
	}
	// Babel needs its own time to switch; the fix must then follow at once.
	netlab.WaitFor(t, 30*time.Second, "Babel switching to the other gateway", func() error {
		out := h1.Run(t, "ip", "-6", "route", "show", "default", "from", network.String())
		if !strings.Contains(out, "via "+other) {
			return fmt.Errorf("re6st default: %q", out)
		}
		return nil
	})
	netlab.WaitFor(t, 10*time.Second, "the fix following Babel", via(other))

	if err := applied.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := h1.Run(t, "ip", "-6", "route", "show", "table", "all")
	// Only Babel's own choice may differ from before: compare the rest.
	strip := func(s string) string {
		var keep []string
		for _, line := range strings.Split(s, "\n") {
			if !strings.Contains(line, "proto babel") {
				keep = append(keep, line)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(after) != strip(before) {
		t.Fatalf("revert left\n%s\nwant\n%s", after, before)
	}
	if got := routeVia(t, h1, internet); got != isp.IPv6.String() {
		t.Fatalf("after revert plain traffic via %s", got)
	}
}
