package trace

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// overlayChain routes 2001:db8:42:N::/64 (on hN's lo) hop by hop along
// h1 → h2 → h3 → h4 over the lab's underlay, like an overlay path, and
// returns h1's and h4's overlay addresses and the addresses each hop answers from.
func overlayChain(t *testing.T, l *netlab.Lab) (src, dst netip.Addr, want []netip.Addr) {
	hs := []*netlab.Host{l.Host("h1"), l.Host("h2"), l.Host("h3"), l.Host("h4")}
	ov := func(i int) string { return fmt.Sprintf("2001:db8:42:%d::", i+1) }
	for i, h := range hs {
		// Several traces run back to back; ICMP rate limits would eat answers.
		for _, s := range [][2]string{{"net.ipv6.icmp.ratelimit", "0"}, {"net.ipv4.icmp_msgs_burst", "10000"}, {"net.ipv4.icmp_msgs_per_sec", "100000"}} {
			if err := h.Sysctl(s[0], s[1]); err != nil {
				t.Fatal(err)
			}
		}
		h.Run(t, "ip", "-6", "addr", "add", ov(i)+"1/64", "dev", "lo", "nodad")
		if i < len(hs)-1 {
			h.Run(t, "ip", "-6", "route", "add", ov(len(hs)-1)+"/64", "via", hs[i+1].IPv6.String())
		}
		if i > 0 {
			h.Run(t, "ip", "-6", "route", "add", ov(0)+"/64", "via", hs[i-1].IPv6.String())
		}
	}
	for _, h := range hs[1:3] {
		want = append(want, h.IPv6)
	}
	dst = netip.MustParseAddr(ov(3) + "1")
	return netip.MustParseAddr(ov(0) + "1"), dst, append(want, dst)
}

// debianTrace runs Debian's traceroute6 in h and returns each hop's first address.
func debianTrace(t *testing.T, h *netlab.Host, src, dst netip.Addr, icmp bool) []netip.Addr {
	if _, err := exec.LookPath("traceroute6"); err != nil {
		t.Fatalf("traceroute6 missing: apt-get install traceroute (%v)", err)
	}
	args := []string{"-n", "-q", "3", "-w", "2", "-s", src.String()}
	if icmp {
		args = append(args, "-I")
	}
	out := h.Run(t, "traceroute6", append(args, dst.String())...)
	var hops []netip.Addr
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			continue
		}
		a, _ := netip.ParseAddr(f[1]) // "*" stays invalid
		hops = append(hops, a)
	}
	return hops
}

func TestLabTraceMatchesTraceroute6(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 4})
	src, dst, want := overlayChain(t, l)
	h1 := l.Host("h1")
	netlab.WaitFor(t, 10*time.Second, "overlay path h1 → h4", func() error {
		_, err := h1.Ping(context.Background(), dst.String(), 1)
		return err
	})
	for _, mode := range []Mode{UDP, ICMP} {
		t.Run(mode.String(), func(t *testing.T) {
			var hops []Hop
			err := h1.Do(func() (err error) {
				hops, err = Run(context.Background(), Config{Dst: dst, Src: src, Mode: mode, Timeout: 2 * time.Second}, nil)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []netip.Addr
			for _, h := range hops {
				got = append(got, h.Addr())
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("hops %v, want %v", got, want)
			}
			if !hops[len(hops)-1].Final || hops[len(hops)-1].Stats.Received != 3 {
				t.Errorf("last hop %+v", hops[len(hops)-1])
			}
			t.Logf("hops %v", got)
			deb := debianTrace(t, h1, src, dst, mode == ICMP)
			if fmt.Sprint(deb) != fmt.Sprint(got) {
				t.Fatalf("traceroute6 says %v, we say %v", deb, got)
			}
		})
	}
}

// BenchmarkLabTrace30Hops traces through real kernels: h2 and h3 bounce
// the destination's packets between them, so every one of 30 hops answers
// time exceeded.
func BenchmarkLabTrace30Hops(b *testing.B) {
	l := netlab.New(b, netlab.Config{Hosts: 3})
	h1, h2, h3 := l.Host("h1"), l.Host("h2"), l.Host("h3")
	const dst = "2001:db8:99::1"
	for _, h := range []*netlab.Host{h2, h3} {
		for _, s := range [][2]string{{"net.ipv6.icmp.ratelimit", "0"}, {"net.ipv4.icmp_msgs_burst", "10000"}, {"net.ipv4.icmp_msgs_per_sec", "100000"}} {
			if err := h.Sysctl(s[0], s[1]); err != nil {
				b.Fatal(err)
			}
		}
	}
	h1.Run(b, "ip", "-6", "route", "add", "2001:db8:99::/64", "via", h2.IPv6.String())
	h2.Run(b, "ip", "-6", "route", "add", "2001:db8:99::/64", "via", h3.IPv6.String())
	h3.Run(b, "ip", "-6", "route", "add", "2001:db8:99::/64", "via", h2.IPv6.String())
	cfg := Config{Dst: netip.MustParseAddr(dst), Src: h1.IPv6, MaxHops: 30, Probes: 3, Timeout: 2 * time.Second}
	for b.Loop() {
		var hops []Hop
		err := h1.Do(func() (err error) {
			hops, err = Run(context.Background(), cfg, nil)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		lost := 0
		for _, h := range hops {
			lost += h.Stats.Sent - h.Stats.Received
		}
		if len(hops) != 30 || lost > 0 {
			b.Fatalf("%d hops, %d probes lost: every hop should answer", len(hops), lost)
		}
	}
}
