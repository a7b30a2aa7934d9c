package node

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
	"re6st-tui/node/state"
)

var testNetwork = netip.MustParsePrefix("2001:db8:42::/48")

// conflictHost has an RA default route beside re6st's `default from
// <network>`, with forwarding on and accept_ra=1 on the uplink: both
// fixes of the default-route check apply.
func conflictHost() *systemtest.Fake {
	anyDst := netip.MustParsePrefix("::/0")
	k := systemtest.New(
		system.Route{Dst: anyDst, Via: netip.MustParseAddr("fe80::1"), Dev: "eth0", Table: 254, Metric: 1024, Proto: system.ProtoRA, Type: 1},
		system.Route{Dst: anyDst, Src: testNetwork, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Table: 254, Metric: 1024, Proto: system.ProtoBabel, Type: 1},
	)
	k.LinkList = []system.Link{{Name: "lo", Up: true}, {Name: "eth0", MTU: 1500, Up: true}, {Name: "re6stnet1", MTU: 1500, Up: true}}
	for key, v := range map[string]string{
		"net.ipv6.conf.all.forwarding": "1", "net.ipv6.conf.eth0.forwarding": "1", "net.ipv6.conf.eth0.accept_ra": "1",
		"net.ipv6.conf.re6stnet1.forwarding": "1", "net.ipv6.conf.re6stnet1.accept_ra": "0",
	} {
		k.SetSysctl(key, v)
	}
	return k
}

// published records what a checkup publishes.
type published struct {
	mu    sync.Mutex
	last  []state.Finding
	first chan struct{} // closed by the first set
	sets  chan struct{} // if not nil, told of each set
}

func (p *published) set(f []state.Finding) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		close(p.first)
	}
	p.last = f
	select {
	case p.sets <- struct{}{}:
	default:
	}
}

func (p *published) finding(t *testing.T, id string) state.Finding {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.last {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s in %+v", id, p.last)
	return state.Finding{}
}

func newTestCheckup(k *systemtest.Fake) (*checkup, *published) {
	p := &published{first: make(chan struct{})}
	c := newCheckup(func() *doctor.Doctor {
		return &doctor.Doctor{Sys: k, Node: doctor.Node{Network: testNetwork}}
	}, p.set, slog.New(slog.DiscardHandler))
	return c, p
}

func fixIDs(f state.Finding) (ids []string) {
	for _, x := range f.Fixes {
		id := x.ID
		if x.Applied {
			id += "(applied)"
		}
		ids = append(ids, id)
	}
	return ids
}

func TestCheckupAppliesAndRevertsExactly(t *testing.T) {
	ctx := context.Background()
	k := conflictHost()
	before := k.String()
	c, p := newTestCheckup(k)
	c.round(ctx, routeChecks)
	f := p.finding(t, state.CheckDefaultRoute)
	if f.Status != state.CheckWarn || !slices.Equal(fixIDs(f), []string{"re6st-default", "accept-ra-2:eth0"}) {
		t.Fatalf("before: %s %v", f.Status, fixIDs(f))
	}
	if fw := p.finding(t, "forwarding"); len(fw.Fixes) != 0 {
		t.Errorf("accept-ra-2 offered twice: forwarding offers %v", fixIDs(fw))
	}
	const route = "default via fe80::a dev re6stnet1 proto static metric 1023"
	if f.Fixes[0].Change != "ip -6 route add "+route {
		t.Errorf("the fix does not name its route: %q", f.Fixes[0].Change)
	}

	if err := c.apply(ctx, "re6st-default"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.String(), route) {
		t.Fatalf("after apply:\n%s", k)
	}
	f = p.finding(t, state.CheckDefaultRoute)
	if fx, ok := f.Applied(); !ok || fx.ID != "re6st-default" || len(fx.Changes) == 0 || fx.Changes[0].Object != route ||
		!slices.Equal(fx.Undo, []string{"ip -6 route del " + route}) {
		t.Fatalf("applied fix in the finding: %+v", f.Fixes)
	}
	// Cured, the check offers no fix, but the one in force stays listed.
	c.round(ctx, routeChecks)
	f = p.finding(t, state.CheckDefaultRoute)
	if f.Status != state.CheckOK || !slices.Equal(fixIDs(f), []string{"re6st-default(applied)"}) {
		t.Fatalf("after a new round: %s %v", f.Status, fixIDs(f))
	}

	// The uplink still ignores advertisements: with the default-route
	// check cured, the forwarding check offers that fix.
	if fw := p.finding(t, "forwarding"); !slices.Equal(fixIDs(fw), []string{"accept-ra-2:eth0"}) {
		t.Errorf("forwarding offers %v", fixIDs(fw))
	}
	for id, want := range map[string]string{
		"re6st-default": "already applied",
		"nope":          "no check offers it",
	} {
		if err := c.apply(ctx, id); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("apply %s: %v, want %q", id, err, want)
		}
	}
	if err := c.revert(ctx, "accept-ra-2:eth0"); err == nil {
		t.Error("reverted a fix never applied")
	}
	if err := c.revert(ctx, "re6st-default"); err != nil {
		t.Fatal(err)
	}
	if got := k.String(); got != before {
		t.Fatalf("after revert\n%s\nwant\n%s", got, before)
	}
	if _, ok := p.finding(t, state.CheckDefaultRoute).Applied(); ok {
		t.Error("still marked applied after the revert")
	}
	if err := c.revert(ctx, "re6st-default"); err == nil {
		t.Error("reverted twice")
	}
}

func TestCheckupOneFixPerCheck(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestCheckup(conflictHost())
	c.round(ctx, routeChecks)
	if err := c.apply(ctx, "accept-ra-2:eth0"); err != nil {
		t.Fatal(err)
	}
	if err := c.apply(ctx, "re6st-default"); err == nil || !strings.Contains(err.Error(), "revert it first") {
		t.Fatalf("second fix of the same check: %v", err)
	}
}

// TestCheckupRevertsAtStop: what is applied when the node stops is
// undone, and nothing more may be applied.
func TestCheckupRevertsAtStop(t *testing.T) {
	k := conflictHost()
	before := k.String()
	c, p := newTestCheckup(k)
	ctx, cancel := context.WithCancel(context.Background())
	go c.run(ctx)
	<-p.first // the round run does at once
	if err := c.apply(context.Background(), "re6st-default"); err != nil {
		t.Fatal(err)
	}
	if err := c.apply(context.Background(), "forwarding"); err == nil {
		t.Fatal("applied a fix nobody offers")
	}
	cancel()
	c.stop(time.Second)
	if got := k.String(); got != before {
		t.Fatalf("after stop\n%s\nwant\n%s", got, before)
	}
	if err := c.apply(context.Background(), "accept-ra-2:eth0"); err == nil || !strings.Contains(err.Error(), "stopping") {
		t.Fatalf("apply after stop: %v", err)
	}
}

func TestKernelRowsKeepSource(t *testing.T) {
	anyDst := netip.MustParsePrefix("::/0")
	rows := kernelRows([]system.Route{
		{Dst: anyDst, Via: netip.MustParseAddr("2001:db8:ff00::1"), Dev: "eth0", Table: 254, Metric: 1024, Proto: 3, Type: 1},
		{Dst: anyDst, Src: testNetwork, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Table: 254, Metric: 1024, Proto: system.ProtoBabel, Type: 1,
			PrefSrc: netip.MustParseAddr("2001:db8:42:2::1")},
		{Dst: testNetwork, Src: netip.MustParsePrefix("::/0"), Table: 254, Metric: 1024, Proto: 4, Type: 7},
	})
	want := []state.KernelRoute{
		{Dst: anyDst, Via: netip.MustParseAddr("2001:db8:ff00::1"), Dev: "eth0", Proto: state.OriginStatic, Metric: 1024, Table: 254},
		{Dst: anyDst, Src: testNetwork, Via: netip.MustParseAddr("fe80::a"), Dev: "re6stnet1", Proto: state.OriginBabel, Metric: 1024, Table: 254,
			PrefSrc: netip.MustParseAddr("2001:db8:42:2::1")},
		{Dst: testNetwork, Proto: state.OriginStatic, Metric: 1024, Table: 254, Type: state.TypeUnreachable},
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("got  %+v\nwant %+v", rows, want)
	}
	// Keyed as the kernel keys them: two default rows, not one.
	var s state.State
	for _, r := range rows {
		s.Apply(state.Event{Kind: state.KindKernel, Kernel: &r})
	}
	if len(s.Kernel) != 3 {
		t.Fatalf("state keeps %d rows: %+v", len(s.Kernel), s.Kernel)
	}
}
