package system

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

func TestLabKernel(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 2})
	h1 := l.Host("h1")
	k, err := Open(h1.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	nh := l.Host("h2").IPv6
	src := netip.MustParsePrefix("2001:db8:42::/48")

	t.Run("reads-source-specific-routes", func(t *testing.T) {
		h1.Run(t, "ip", "-6", "route", "add", "default", "from", src.String(), "via", nh.String(), "dev", "eth0", "proto", "babel")
		rs, err := k.Routes()
		if err != nil {
			t.Fatal(err)
		}
		want := "default from 2001:db8:42::/48 via " + nh.String() + " dev eth0 proto babel metric 1024"
		var all []string
		for _, r := range rs {
			all = append(all, r.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), want) {
			t.Fatalf("routes:\n%s\nwant %s", strings.Join(all, "\n"), want)
		}
	})
	t.Run("adds-and-deletes-source-specific-routes", func(t *testing.T) {
		r := Route{Dst: netip.MustParsePrefix("2001:db8:77::/64"), Src: src, Via: nh, Dev: "eth0", Table: TableMain, Metric: 7, Proto: ProtoStatic, Type: TypeUnicast}
		if err := k.AddRoute(r); err != nil {
			t.Fatal(err)
		}
		if out := h1.Run(t, "ip", "-6", "route", "show", "2001:db8:77::/64", "from", src.String()); !strings.Contains(out, "via "+nh.String()) || !strings.Contains(out, "metric 7") {
			t.Fatalf("ip shows %q", out)
		}
		if err := k.AddRoute(r); err == nil {
			t.Fatal("second add succeeded")
		}
		if err := k.DeleteRoute(r); err != nil {
			t.Fatal(err)
		}
		if out := h1.Run(t, "ip", "-6", "route", "show", "2001:db8:77::/64", "from", src.String()); strings.TrimSpace(out) != "" {
			t.Fatalf("still there: %q", out)
		}
	})
	t.Run("reads-ipv4-routes", func(t *testing.T) {
		h1.Run(t, "ip", "route", "add", "198.19.5.0/24", "via", l.Host("h2").IPv4.String(), "proto", "static", "metric", "7")
		rs, err := k.IPv4Routes()
		if err != nil {
			t.Fatal(err)
		}
		want := "198.19.5.0/24 via " + l.Host("h2").IPv4.String() + " dev eth0 proto static metric 7"
		var all []string
		for _, r := range rs {
			all = append(all, r.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), want) {
			t.Fatalf("IPv4 routes:\n%s\nwant %s", strings.Join(all, "\n"), want)
		}
		v6, err := k.Routes()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range v6 {
			if r.Dst.Addr().Is4() {
				t.Fatalf("IPv6 routes list an IPv4 one: %v", r)
			}
		}
	})
	t.Run("watches-route-changes", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := k.WatchRoutes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h1.Run(t, "ip", "-6", "route", "add", "2001:db8:78::/64", "via", nh.String())
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("no notification")
		}
		h1.Run(t, "ip", "route", "add", "198.19.6.0/24", "via", l.Host("h2").IPv4.String())
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("no notification of an IPv4 change")
		}
		cancel()
		deadline := time.After(5 * time.Second)
		for open := true; open; {
			select {
			case _, open = <-ch:
			case <-deadline:
				t.Fatal("watch channel not closed after cancel")
			}
		}
	})
	t.Run("sysctl-in-namespace", func(t *testing.T) {
		if err := k.SetSysctl("net.ipv6.conf.eth0.accept_ra", "2"); err != nil {
			t.Fatal(err)
		}
		if v := strings.TrimSpace(h1.Run(t, "sysctl", "-n", "net.ipv6.conf.eth0.accept_ra")); v != "2" {
			t.Fatalf("namespace sees %s", v)
		}
		if v, err := k.Sysctl("net.ipv6.conf.eth0.accept_ra"); err != nil || v != "2" {
			t.Fatalf("read %q %v", v, err)
		}
		if _, err := k.Sysctl("net.ipv6.conf.nosuch0.accept_ra"); err == nil {
			t.Fatal("read a missing interface's sysctl")
		}
	})
	t.Run("route-get", func(t *testing.T) {
		r, err := k.RouteGet(netip.MustParseAddr("2001:db8:78::1"), netip.Addr{})
		if err != nil || r.Via != nh || r.Dev != "eth0" {
			t.Fatalf("%v %v", r, err)
		}
	})
}
