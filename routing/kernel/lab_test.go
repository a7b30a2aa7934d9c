package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/kernel"
)

func TestLabNetlink(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1})
	h := lab.Host("h1")
	var k *kernel.Netlink
	var link kernel.Link
	if err := h.Do(func() error {
		var err error
		if link, err = kernel.LookupLink(context.Background(), h.Iface, 10*time.Second); err != nil {
			return err
		}
		k, err = kernel.Open()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if link.LinkLocal != h.LinkLocal || !link.Up {
		t.Errorf("link %+v, want ll %v and up", link, h.LinkLocal)
	}
	if !k.Subtrees() {
		t.Fatal("subtree probe failed on a Debian kernel (CONFIG_IPV6_SUBTREES=y)")
	}
	h.Run(t, "ip", "-6", "addr", "add", "2001:db8:b::1/128", "dev", "lo", "nodad")
	gw := netip.MustParseAddr("fe80::1")
	routes := []kernel.Route{
		{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8::/32"), Gateway: gw, Ifindex: link.Index},
		{Dst: netip.MustParsePrefix("2001:db8:a::/48"), Gateway: gw, Ifindex: link.Index, PrefSrc: netip.MustParseAddr("2001:db8:b::1")},
		{Dst: netip.MustParsePrefix("2001:db8:c::/48"), Unreachable: true, Metric: 0xFFFFFFFF},
	}
	for _, r := range routes {
		// The kernel refuses a preferred source it does not consider
		// usable yet: give a fresh address a moment.
		netlab.WaitFor(t, 5*time.Second, "route "+r.String(), func() error { return k.Replace(r) })
	}
	out := h.Run(t, "ip", "-6", "route", "show", "proto", "babel")
	for _, want := range []string{
		"default from 2001:db8::/32 via fe80::1 dev eth0 metric 1024 onlink",
		"2001:db8:a::/48 via fe80::1 dev eth0 src 2001:db8:b::1 metric 1024 onlink",
		"unreachable 2001:db8:c::/48 dev lo metric 4294967295",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	// Finite → unreachable is another metric, so another route: add the
	// new one, then remove the old one, in one batch.
	r := routes[1]
	r.Unreachable, r.Metric, r.Gateway, r.Ifindex, r.PrefSrc = true, 0xFFFFFFFF, netip.Addr{}, 0, netip.Addr{}
	if errs := k.Apply([]kernel.Op{{Route: r}, {Delete: true, Route: routes[1]}}); errs != nil {
		t.Fatal(errs)
	}
	if out := h.Run(t, "ip", "-6", "route", "show", "2001:db8:a::/48"); strings.Count(out, "2001:db8:a::/48") != 1 || !strings.Contains(out, "unreachable") {
		t.Errorf("after switch to unreachable:\n%s", out)
	}
	got, err := k.Routes()
	if err != nil || len(got) != 3 {
		t.Fatalf("Routes: %v %v", got, err)
	}
	// A new instance (after a crash) removes what the old one left.
	var k2 *kernel.Netlink
	if err := h.Do(func() (err error) { k2, err = kernel.Open(); return err }); err != nil {
		t.Fatal(err)
	}
	defer k2.Close()
	if err := k2.Flush(); err != nil {
		t.Fatal(err)
	}
	if out := h.Run(t, "ip", "-6", "route", "show", "proto", "babel"); strings.TrimSpace(out) != "" {
		t.Errorf("left after flush:\n%s", out)
	}
}

// routesN installs n /64s through gw on ifindex.
func routesN(n, ifindex int, gw string) []kernel.Op {
	ops := make([]kernel.Op, n)
	for i := range ops {
		ops[i].Route = kernel.Route{Dst: netip.MustParsePrefix(fmt.Sprintf("2001:db8:1:%x::/64", i)),
			Gateway: netip.MustParseAddr(gw), Ifindex: ifindex}
	}
	return ops
}

func openIn(t testing.TB, h *netlab.Host) (*kernel.Netlink, kernel.Link) {
	t.Helper()
	var k *kernel.Netlink
	var link kernel.Link
	if err := h.Do(func() error {
		var err error
		if link, err = kernel.LookupLink(context.Background(), h.Iface, 10*time.Second); err != nil {
			return err
		}
		k, err = kernel.Open()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k, link
}

// A batch larger than one write, with failures in the middle: each error
// is reported at its own index and the rest is applied.
func TestLabNetlinkBatch(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1})
	h := lab.Host("h1")
	k, link := openIn(t, h)
	ops := routesN(300, link.Index, "fe80::1")
	missing := kernel.Op{Delete: true, Route: kernel.Route{Dst: netip.MustParsePrefix("2001:db8:2::/64"), Unreachable: true}}
	ops = slices.Insert(ops, 200, missing)
	ops = slices.Insert(ops, 5, missing)
	errs := k.Apply(ops)
	if len(errs) != len(ops) {
		t.Fatalf("%d errors for %d ops", len(errs), len(ops))
	}
	for i, err := range errs {
		if (i == 5 || i == 201) != (err != nil) {
			t.Errorf("op %d (%v): %v", i, ops[i], err)
		}
		if err != nil && !errors.Is(err, kernel.ErrNotFound) {
			t.Errorf("op %d: %v is not ErrNotFound", i, err)
		}
	}
	if out := h.Run(t, "ip", "-6", "route", "show", "proto", "babel"); strings.Count(out, "\n") != 300 {
		t.Errorf("%d routes installed, want 300", strings.Count(out, "\n"))
	}
	if err := k.Flush(); err != nil {
		t.Fatal(err)
	}
	if out := h.Run(t, "ip", "-6", "route", "show", "proto", "babel"); out != "" {
		t.Errorf("left after flush:\n%s", out)
	}
}

// BenchmarkLabReplace10k installs 10,000 routes, moves them to another
// gateway and removes them, in batches as the speaker does.
// Run: RE6ST_LAB=1 go test -run XXX -bench LabReplace10k -benchmem ./routing/kernel/
func BenchmarkLabReplace10k(b *testing.B) {
	lab := netlab.New(b, netlab.Config{Hosts: 1})
	k, link := openIn(b, lab.Host("h1"))
	add, moved := routesN(10000, link.Index, "fe80::1"), routesN(10000, link.Index, "fe80::2")
	del := slices.Clone(moved)
	for i := range del {
		del[i].Delete = true
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, ops := range [][]kernel.Op{add, moved, del} {
			if errs := k.Apply(ops); errs != nil {
				b.Fatal(errors.Join(errs...))
			}
		}
	}
}

// IPv4 routes go through an IPv4 next hop on the link, as babeld
// announces them on an interface with an IPv4 address, or through an
// IPv6 one (v4-via-v6) on an interface without.
func TestLabNetlinkIPv4(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1})
	h := lab.Host("h1")
	k, link := openIn(t, h)
	if link.IPv4 != h.IPv4 {
		t.Errorf("link IPv4 %v, want %v", link.IPv4, h.IPv4)
	}
	h.Run(t, "ip", "-4", "addr", "add", "198.19.128.1/32", "dev", "lo")
	src := netip.MustParseAddr("198.19.128.1")
	routes := []kernel.Route{
		{Dst: netip.MustParsePrefix("198.19.129.0/25"), Gateway: netip.MustParseAddr("198.19.129.1"), Ifindex: link.Index, PrefSrc: src},
		{Dst: netip.MustParsePrefix("198.19.130.0/25"), Gateway: netip.MustParseAddr("fe80::2"), Ifindex: link.Index, PrefSrc: src},
		{Dst: netip.MustParsePrefix("198.19.131.0/25"), Unreachable: true, Metric: 0xFFFFFFFF},
	}
	for _, r := range routes {
		if err := k.Replace(r); err != nil {
			t.Fatal(err)
		}
	}
	out := h.Run(t, "ip", "-4", "route", "show", "proto", "babel")
	for _, want := range []string{
		"198.19.129.0/25 via 198.19.129.1 dev eth0 src 198.19.128.1 onlink",
		"198.19.130.0/25 via inet6 fe80::2 dev eth0 src 198.19.128.1",
		"unreachable 198.19.131.0/25 metric 4294967295",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	got, err := k.Routes()
	if err != nil {
		t.Fatal(err)
	}
	gateways := map[netip.Prefix]netip.Addr{}
	for _, r := range got {
		gateways[r.Dst] = r.Gateway
	}
	for _, r := range routes[:2] {
		if gateways[r.Dst] != r.Gateway {
			t.Errorf("Routes: %v through %v, want %v", r.Dst, gateways[r.Dst], r.Gateway)
		}
	}
	if err := k.Flush(); err != nil {
		t.Fatal(err)
	}
	if out := h.Run(t, "ip", "-4", "route", "show", "proto", "babel"); strings.TrimSpace(out) != "" {
		t.Errorf("left after flush:\n%s", out)
	}
}
