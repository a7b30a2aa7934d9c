package defroute

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
)

var (
	network = netip.MustParsePrefix("2001:db8:42::/48")
	anyDst  = netip.MustParsePrefix("::/0")
)

func raDefault() system.Route {
	return system.Route{Dst: anyDst, Via: netip.MustParseAddr("fe80::1"), Dev: "eth0", Table: 254, Metric: 1024, Proto: system.ProtoRA, Type: 1}
}

func re6stDefault(via string, dev string) system.Route {
	return system.Route{Dst: anyDst, Src: network, Via: netip.MustParseAddr(via), Dev: dev, Table: 254, Metric: 1024, Proto: system.ProtoBabel, Type: 1}
}

func ours(via, dev string, metric int) string {
	return fmt.Sprintf("default via %s dev %s proto static metric %d", via, dev, metric)
}

// waitTable polls the fake until it prints want.
func waitTable(t *testing.T, k *systemtest.Fake, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for k.String() != want {
		if time.Now().After(deadline) {
			t.Fatalf("table\n%s\nwant\n%s", k, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// lines is a table as systemtest.Fake.String prints it.
func lines(l ...string) string {
	sort.Strings(l)
	return strings.Join(l, "\n")
}

func TestFollowerInstallsFollowsAndReverts(t *testing.T) {
	ra, r1 := raDefault(), re6stDefault("fe80::a", "re6stnet1")
	k := systemtest.New(ra, r1)
	before := k.String()
	routes, _ := k.Routes()
	plan, ok := Plan(routes, Config{Network: network})
	if !ok || plan.String() != ours("fe80::a", "re6stnet1", 1023) {
		t.Fatalf("plan %v %v", plan, ok)
	}
	f, err := Start(context.Background(), k, Config{Network: network})
	if err != nil {
		t.Fatal(err)
	}
	// What is shown before is what is installed.
	waitTable(t, k, lines(plan.String(), r1.String(), ra.String()))
	if got := f.Undo(); !slices.Equal(got, []string{"ip -6 route del " + plan.String()}) {
		t.Errorf("undo %q", got)
	}

	t.Run("follows-next-hop", func(t *testing.T) {
		r2 := re6stDefault("fe80::b", "re6stnet2")
		k.Set([]system.Route{r2}, r1)
		waitTable(t, k, lines(ours("fe80::b", "re6stnet2", 1023), r2.String(), ra.String()))
	})
	t.Run("goes-away-without-re6st-default", func(t *testing.T) {
		k.Set(nil, re6stDefault("fe80::b", "re6stnet2"))
		waitTable(t, k, ra.String())
	})
	t.Run("comes-back", func(t *testing.T) {
		k.Set([]system.Route{r1})
		waitTable(t, k, lines(ours("fe80::a", "re6stnet1", 1023), r1.String(), ra.String()))
	})
	if err := f.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := k.String(); got != before {
		t.Fatalf("after revert\n%s\nwant\n%s", got, before)
	}
	if err := f.Revert(context.Background()); err != nil {
		t.Fatalf("second revert: %v", err)
	}
	var acts []string
	for _, c := range f.Changes() {
		acts = append(acts, c.Action)
	}
	if got := fmt.Sprint(acts); got != "[replace-route replace-route delete-route replace-route delete-route]" {
		t.Errorf("changes %s", got)
	}
}

func TestFollowerRestoresDisplacedRoute(t *testing.T) {
	low := system.Route{Dst: anyDst, Via: netip.MustParseAddr("2001:db8:ff00::1"), Dev: "eth0", Table: 254, Metric: 1, Proto: 3, Type: 1}
	k := systemtest.New(low, re6stDefault("fe80::a", "re6stnet1"))
	before := k.String()
	f, err := Start(context.Background(), k, Config{Network: network})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := f.Route(); !ok || r.Metric != 1 || r.Via != netip.MustParseAddr("fe80::a") {
		t.Fatalf("installed %v %v", r, ok)
	}
	// Without a re6st default, the displaced route must come back at once:
	// the host keeps a default route.
	k.Set(nil, re6stDefault("fe80::a", "re6stnet1"))
	waitTable(t, k, low.String())
	k.Set([]system.Route{re6stDefault("fe80::a", "re6stnet1")})
	waitTable(t, k, lines(ours("fe80::a", "re6stnet1", 1), re6stDefault("fe80::a", "re6stnet1").String()))
	if got, want := f.Undo(), []string{"ip -6 route del " + ours("fe80::a", "re6stnet1", 1), "ip -6 route add " + low.String()}; !slices.Equal(got, want) {
		t.Errorf("undo %q, want %q", got, want)
	}
	if err := f.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := k.String(); got != before {
		t.Fatalf("after revert\n%s\nwant\n%s", got, before)
	}
	if got := f.Undo(); got != nil {
		t.Errorf("undo after revert %q", got)
	}
}

func TestFollowerLeavesForeignRouteAloneWithoutRe6st(t *testing.T) {
	ra := raDefault()
	k := systemtest.New(ra)
	f, err := Start(context.Background(), k, Config{Network: network, Metric: 1024})
	if err != nil {
		t.Fatal(err)
	}
	k.Set(nil) // any event
	if err := f.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := k.String(); got != ra.String() || len(f.Changes()) != 0 {
		t.Fatalf("table %s, changes %v", got, f.Changes())
	}
}

func TestPlanWithoutRe6stDefault(t *testing.T) {
	if r, ok := Plan([]system.Route{raDefault()}, Config{Network: network}); ok {
		t.Fatalf("planned %v without a re6st default", r)
	}
}

func TestPickMetric(t *testing.T) {
	for _, tt := range []struct {
		metrics []int
		want    int
	}{{nil, 1024}, {[]int{1024}, 1023}, {[]int{100, 1024}, 99}, {[]int{1}, 1}} {
		var rs []system.Route
		for _, m := range tt.metrics {
			r := raDefault()
			r.Metric = m
			rs = append(rs, r)
		}
		// A source-specific default never counts.
		rs = append(rs, system.Route{Dst: anyDst, Src: network, Table: 254, Metric: 5})
		if got := pickMetric(rs); got != tt.want {
			t.Errorf("metrics %v: got %d want %d", tt.metrics, got, tt.want)
		}
	}
}

func TestStartRejectsBadNetwork(t *testing.T) {
	for _, p := range []string{"", "198.18.0.0/15", "::/0"} {
		var pfx netip.Prefix
		if p != "" {
			pfx = netip.MustParsePrefix(p)
		}
		if _, err := Start(context.Background(), systemtest.New(), Config{Network: pfx}); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
}
