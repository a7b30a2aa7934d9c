package doctor

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
)

var (
	network = netip.MustParsePrefix("2001:db8:42::/48")
	anyDst  = netip.MustParsePrefix("::/0")
)

func ra(dev string) system.Route {
	return system.Route{Dst: anyDst, Via: netip.MustParseAddr("fe80::1"), Dev: dev, Table: 254, Metric: 1024, Proto: system.ProtoRA, Type: 1}
}

func re6st(via string) system.Route {
	return system.Route{Dst: anyDst, Src: network, Via: netip.MustParseAddr(via), Dev: "re6stnet1", Table: 254, Metric: 1024, Proto: system.ProtoBabel, Type: 1}
}

func fixIDs(r Result) []string {
	var ids []string
	for _, f := range r.Fixes {
		ids = append(ids, f.ID)
	}
	return ids
}

func runCheck(t *testing.T, d *Doctor, id string) Result {
	t.Helper()
	r, ok := d.Run(context.Background(), id)
	if !ok {
		t.Fatalf("no check %s", id)
	}
	t.Logf("%s: %s: %s %v", id, r.Status, r.Summary, r.Details)
	return r
}

func uplinkSys(rs ...system.Route) *systemtest.Fake {
	s := systemtest.New(rs...)
	s.LinkList = []system.Link{{Name: "lo", MTU: 65536, Up: true}, {Name: "eth0", MTU: 1500, Up: true}, {Name: "re6stnet1", MTU: 1500, Up: true}}
	for k, v := range map[string]string{
		"net.ipv6.conf.all.forwarding": "1", "net.ipv6.conf.eth0.forwarding": "1", "net.ipv6.conf.eth0.accept_ra": "1",
		"net.ipv6.conf.re6stnet1.forwarding": "1", "net.ipv6.conf.re6stnet1.accept_ra": "0",
	} {
		s.SetSysctl(k, v)
	}
	return s
}

func TestDefaultRoute(t *testing.T) {
	for _, tt := range []struct {
		name   string
		net    netip.Prefix
		routes []system.Route
		status Status
		fixes  []string
	}{
		{"conflict", network, []system.Route{ra("eth0"), re6st("fe80::a")}, Warn, []string{"re6st-default", "accept-ra-2:eth0"}},
		{"only-re6st", network, []system.Route{re6st("fe80::a")}, OK, []string{"re6st-default"}},
		{"re6st-is-default", network, []system.Route{ra("eth0"), re6st("fe80::a"),
			{Dst: anyDst, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Table: 254, Metric: 1023, Proto: 4, Type: 1}}, OK, nil},
		{"gateway", network, []system.Route{ra("eth0"), re6st("fe80::a")}, OK, nil},
		{"no-re6st-default", network, []system.Route{ra("eth0")}, Skip, nil},
		{"no-network", netip.Prefix{}, []system.Route{ra("eth0"), re6st("fe80::a")}, Skip, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Doctor{Sys: uplinkSys(tt.routes...), Node: Node{Network: tt.net, Gateway: tt.name == "gateway"}}
			r := runCheck(t, d, "default-route")
			if r.Status != tt.status || !slices.Equal(fixIDs(r), tt.fixes) {
				t.Fatalf("got %s %v, want %s %v", r.Status, fixIDs(r), tt.status, tt.fixes)
			}
		})
	}
}

func TestDefaultRouteFixAndRevert(t *testing.T) {
	sys := uplinkSys(ra("eth0"), re6st("fe80::a"))
	d := &Doctor{Sys: sys, Node: Node{Network: network}}
	before := sys.String()
	f, ok := runCheck(t, d, "default-route").Fix(Re6stDefaultFixID)
	if !ok {
		t.Fatal("no fix offered")
	}
	a, err := f.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := runCheck(t, d, "default-route"); r.Status != OK {
		t.Fatalf("after the fix: %s %s", r.Status, r.Summary)
	}
	sys.ReplaceRoute(re6st("fe80::b"))
	deadline := time.Now().Add(5 * time.Second)
	for runCheck(t, d, "default-route").Status != OK || !contains(sys.String(), "default via fe80::b dev re6stnet1 proto static metric 1023") {
		if time.Now().After(deadline) {
			t.Fatalf("fix did not follow:\n%s", sys.String())
		}
		time.Sleep(time.Millisecond)
	}
	if err := a.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	sys.ReplaceRoute(re6st("fe80::a"))
	if got := sys.String(); got != before {
		t.Fatalf("revert left\n%s\nwant\n%s", got, before)
	}
	if len(a.Changes()) < 2 {
		t.Errorf("changes %v", a.Changes())
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestForwardingAndAcceptRA(t *testing.T) {
	sys := uplinkSys(ra("eth0"))
	d := &Doctor{Sys: sys}
	r := runCheck(t, d, "forwarding")
	if r.Status != Warn || !slices.Equal(fixIDs(r), []string{"accept-ra-2:eth0"}) {
		t.Fatalf("got %s %v", r.Status, fixIDs(r))
	}
	f, _ := r.Fix("accept-ra-2:eth0")
	a, err := f.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sysctl(sys, "net.ipv6.conf.eth0.accept_ra") != "2" {
		t.Fatal("sysctl not set")
	}
	if r := runCheck(t, d, "forwarding"); r.Status != OK {
		t.Fatalf("after fix: %s", r.Status)
	}
	if got := a.Undo(); !slices.Equal(got, []string{"sysctl -w net.ipv6.conf.eth0.accept_ra=1"}) {
		t.Errorf("undo %q", got)
	}
	if err := a.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := sysctl(sys, "net.ipv6.conf.eth0.accept_ra"); v != "1" || len(a.Changes()) != 2 {
		t.Fatalf("after revert accept_ra=%s changes %v", v, a.Changes())
	}

	t.Run("expired-ra-route", func(t *testing.T) {
		// No default route left: eth0 is still suspected.
		if r := runCheck(t, &Doctor{Sys: uplinkSys()}, "forwarding"); r.Status != Warn || !slices.Equal(fixIDs(r), []string{"accept-ra-2:eth0"}) {
			t.Fatalf("got %s %v", r.Status, fixIDs(r))
		}
	})
	t.Run("static-default", func(t *testing.T) {
		// Advertisements are ignored, but the default route does not
		// come from them: nothing will expire.
		static := ra("eth0")
		static.Proto = system.ProtoStatic
		if r := runCheck(t, &Doctor{Sys: uplinkSys(static)}, "forwarding"); r.Status != OK {
			t.Fatalf("got %s %v", r.Status, fixIDs(r))
		}
	})
	t.Run("server-tap", func(t *testing.T) {
		// A server's tap is re6st's even before a tunnel uses it.
		sys := uplinkSys()
		sys.LinkList = append(sys.LinkList, system.Link{Name: "re6stnet-tcp", Up: true})
		sys.SetSysctl("net.ipv6.conf.re6stnet-tcp.forwarding", "1")
		sys.SetSysctl("net.ipv6.conf.re6stnet-tcp.accept_ra", "1")
		d := &Doctor{Sys: sys, Node: Node{Interfaces: []string{"lo", "re6stnet1"}}}
		if r := runCheck(t, d, "forwarding"); !slices.Equal(fixIDs(r), []string{"accept-ra-2:eth0"}) {
			t.Fatalf("got %s %v", r.Status, fixIDs(r))
		}
	})
	t.Run("static-uplink", func(t *testing.T) {
		sys := uplinkSys()
		sys.SetSysctl("net.ipv6.conf.eth0.accept_ra", "0")
		if r := runCheck(t, &Doctor{Sys: sys}, "forwarding"); r.Status != OK {
			t.Fatalf("got %s", r.Status)
		}
	})
	t.Run("forwarding-off", func(t *testing.T) {
		sys := uplinkSys()
		sys.SetSysctl("net.ipv6.conf.all.forwarding", "0")
		sys.SetSysctl("net.ipv6.conf.eth0.forwarding", "0")
		if r := runCheck(t, &Doctor{Sys: sys}, "forwarding"); r.Status != Warn || !slices.Equal(fixIDs(r), []string{"forwarding"}) {
			t.Fatalf("got %s %v", r.Status, fixIDs(r))
		}
	})
}

func TestSubtrees(t *testing.T) {
	sys := systemtest.New()
	if r := runCheck(t, &Doctor{Sys: sys}, "subtrees"); r.Status != OK || sys.String() != "" {
		t.Fatalf("got %s, table %q", r.Status, sys.String())
	}
	sys.AddErr = syscall.EINVAL // what a kernel without CONFIG_IPV6_SUBTREES answers
	if r := runCheck(t, &Doctor{Sys: sys}, "subtrees"); r.Status != Fail {
		t.Fatalf("got %s", r.Status)
	}
	sys.AddErr = syscall.EPERM
	if r := runCheck(t, &Doctor{Sys: sys}, "subtrees"); r.Status != Error {
		t.Fatalf("got %s", r.Status)
	}
}

func TestUnderlayLoop(t *testing.T) {
	remote := netip.MustParseAddr("2001:db8:ff00::12")
	sys := systemtest.New()
	node := Node{Interfaces: []string{"lo", "re6stnet1", "re6stnet2"}, Remotes: []Remote{{Tunnel: "re6stnet1", Addr: remote}}}
	sys.Get[remote] = system.Route{Dev: "eth0"}
	if r := runCheck(t, &Doctor{Sys: sys, Node: node}, "underlay-loop"); r.Status != OK {
		t.Fatalf("got %s", r.Status)
	}
	sys.Get[remote] = system.Route{Dev: "re6stnet2"}
	if r := runCheck(t, &Doctor{Sys: sys, Node: node}, "underlay-loop"); r.Status != Fail {
		t.Fatalf("got %s", r.Status)
	}
}

// TestSharedFixOfferedOnce: accept_ra=2 cures both the RA default route
// that fights re6st's and the uplink that ignores advertisements; it is
// listed under the first check only, and under the second when the first
// does not offer it.
func TestSharedFixOfferedOnce(t *testing.T) {
	offers := func(rs []Result) map[string][]string {
		m := map[string][]string{}
		for _, r := range rs {
			m[r.ID] = fixIDs(r)
		}
		return m
	}
	d := &Doctor{Sys: uplinkSys(ra("eth0"), re6st("fe80::a")), Node: Node{Network: network}}
	got := offers(d.RunChecks(context.Background(), "forwarding", "default-route"))
	if !slices.Equal(got["default-route"], []string{"re6st-default", "accept-ra-2:eth0"}) || len(got["forwarding"]) != 0 {
		t.Fatalf("with a conflict: %v", got)
	}
	d = &Doctor{Sys: uplinkSys(ra("eth0")), Node: Node{Network: network}}
	got = offers(d.RunChecks(context.Background(), "default-route", "forwarding"))
	if len(got["default-route"]) != 0 || !slices.Equal(got["forwarding"], []string{"accept-ra-2:eth0"}) {
		t.Fatalf("without a re6st default: %v", got)
	}
	if f, ok := d.RunChecks(context.Background(), "forwarding")[0].Fix("accept-ra-2:eth0"); !ok || f == nil {
		t.Fatal("the listed fix cannot be applied")
	}
}
