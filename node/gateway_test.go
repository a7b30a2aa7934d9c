package node

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
	"re6st-tui/node/bus"
	"re6st-tui/node/config"
)

// The gateway exports what babeld would, given re6st's statements.
func TestWhyNotExported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route system.Route
		why   string // "" when exported
	}{
		{"static", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_STATIC, Metric: 1024}, ""},
		{"router-advertisement", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_RA, Metric: 1024}, ""},
		{"dhcp", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_DHCP, Metric: 100}, ""},
		{"boot", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_BOOT, Metric: 1024}, "proto static"},
		{"babel", system.Route{Table: unix.RT_TABLE_MAIN, Proto: system.ProtoBabel, Metric: 1024}, "Babel"},
		{"other-table", system.Route{Table: 100, Proto: unix.RTPROT_STATIC}, "table 100"},
		{"cached", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_STATIC, Cloned: true}, "cached"},
		{"placeholder", system.Route{Table: unix.RT_TABLE_MAIN, Proto: unix.RTPROT_KERNEL, Metric: 0xFFFFFFFF}, "placeholder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := whyNotExported(tc.route)
			if (got == "") != (tc.why == "") || !strings.Contains(got, tc.why) {
				t.Errorf("whyNotExported = %q, want %q", got, tc.why)
			}
		})
	}
}

// TestGatewayFollowsKernelRoutes: a gateway learns of its host's default
// routes from the kernel route follower, and hears only of changes to
// what it would export.
func TestGatewayFollowsKernelRoutes(t *testing.T) {
	anyDst := netip.MustParsePrefix("::/0")
	uplink := netip.MustParseAddr("2001:db8:ff00::1")
	boot := system.Route{Dst: anyDst, Via: uplink, Dev: "eth0", Table: 254, Metric: 1024, Proto: unix.RTPROT_BOOT, Type: 1}
	static := boot
	static.Proto = unix.RTPROT_STATIC
	other := system.Route{Dst: netip.MustParsePrefix("2001:db8:77::/64"), Dev: "eth0", Table: 254, Metric: 1024, Proto: unix.RTPROT_STATIC, Type: 1}
	v4 := system.Route{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("198.18.0.1"), Dev: "eth0", Table: 254, Proto: unix.RTPROT_STATIC, Type: 1}

	k := systemtest.New(boot, v4)
	n := &Node{sys: k, bus: bus.New(0), log: slog.New(slog.DiscardHandler), cfg: &config.Node{Gateway: true},
		hostRoutes: make(chan []system.Route, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan hostDefault)
	done := make(chan struct{}, 2)
	go func() { n.followKernel(ctx); done <- struct{}{} }()
	go func() { n.watchDefaultRoute(ctx, n.hostRoutes, func(h hostDefault) { seen <- h }); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	h := <-seen
	if len(h.export) != 0 || len(h.ignored) != 1 || !strings.Contains(h.ignored[0], "proto boot") {
		t.Fatalf("with a 'proto boot' default: %+v", h)
	}
	k.Set([]system.Route{other}) // no change to the defaults: nothing to say
	k.Set([]system.Route{static})
	h = <-seen
	if !slices.Equal(h.export, []string{static.String()}) || len(h.ignored) != 0 {
		t.Fatalf("with a static default: %+v", h)
	}
	k.Set(nil, static)
	if h = <-seen; len(h.export) != 0 || len(h.ignored) != 0 {
		t.Fatalf("without a default: %+v", h)
	}
}
