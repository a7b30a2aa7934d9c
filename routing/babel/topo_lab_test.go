package babel_test

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// veth joins hosts a and b with a veth pair named an (in a) and bn (in b).
func veth(t testing.TB, a, b *netlab.Host, an, bn string) {
	t.Helper()
	a.Run(t, "ip", "link", "add", an, "type", "veth", "peer", "name", bn, "netns", b.NS)
	a.Run(t, "ip", "link", "set", an, "up")
	b.Run(t, "ip", "link", "set", bn, "up")
}

// nextHopHost returns the host whose link-local address h's kernel uses
// towards dst, "" when h has no route (or dst is local).
func nextHopHost(h *netlab.Host, dst string, lls map[string]string) (string, error) {
	out, err := h.Command(context.Background(), "ip", "-6", "route", "get", dst).CombinedOutput()
	if err != nil {
		return "", nil // unreachable
	}
	f := strings.Fields(string(out))
	for i, w := range f {
		if w == "via" && i+1 < len(f) {
			if name, ok := lls[f[i+1]]; ok {
				return name, nil
			}
			return "", fmt.Errorf("unknown next hop %s", f[i+1])
		}
	}
	return "", nil
}

// linkLocals maps every fe80:: address of the hosts to the host name.
func linkLocals(t testing.TB, hosts ...*netlab.Host) map[string]string {
	m := map[string]string{}
	for _, h := range hosts {
		out := h.Run(t, "ip", "-6", "-o", "addr", "show", "scope", "link")
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			for i, w := range f {
				if w == "inet6" && i+1 < len(f) {
					m[strings.Split(f[i+1], "/")[0]] = h.Name
				}
			}
		}
	}
	return m
}

func nodeConfig(i int, hello time.Duration) babel.Config {
	return babel.Config{RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, byte(i)}, Hello: hello,
		Xroutes: []babel.Xroute{{Prefix: netip.MustParsePrefix(fmt.Sprintf("2001:db8:%d::/48", i))}}}
}

// TestLabTriangle: A–B, B–C, A–C with our speaker; the A–B link goes down,
// or (on another triangle) silently drops packets: traffic between A and B
// must move to C. 1 s Hellos keep it short; the benchmark below uses
// babeld's 4 s.
func TestLabTriangle(t *testing.T) {
	down, silent := triangleOutages(t, "ours", time.Second)
	t.Logf("outage, link set down: %v; silent loss: %v", down, silent)
}

// BenchmarkLabTriangle measures both outages for our speaker and for babeld
// (4 s Hellos): RE6ST_LAB=1 go test -run XXX -bench LabTriangle -benchtime 1x ./routing/babel/
func BenchmarkLabTriangle(b *testing.B) {
	for _, impl := range []string{"babeld", "ours"} {
		b.Run(impl, func(b *testing.B) {
			for range b.N {
				down, silent := triangleOutages(b, impl, 4*time.Second)
				b.ReportMetric(down.Seconds(), "s/outage-down")
				b.ReportMetric(silent.Seconds(), "s/outage-silent")
			}
		})
	}
}

// triangleOutages measures, each on a triangle of its own that has just
// converged on the direct route a–b, how long traffic between a and b
// takes to move to c when the a–b link is set down, and when it silently
// drops packets. (A triangle whose link comes back returns to the direct
// route only after b's next seqno, half a minute later, as with babeld:
// TestTriangleLinkDown covers that in simulated time.)
func triangleOutages(t testing.TB, impl string, hello time.Duration) (down, silent time.Duration) {
	tr := newLabTriangle(t, impl, hello)
	start := time.Now()
	tr.a.Run(t, "ip", "link", "set", "ab", "down")
	netlab.WaitFor(t, 60*time.Second, "a→b via c after link down", tr.via("h3"))
	down = time.Since(start)
	netlab.WaitFor(t, 10*time.Second, "ping a→b via c", tr.ping)

	tr = newLabTriangle(t, impl, hello)
	tr.a.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ab priority 0; policy drop; }")
	tr.b.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ba priority 0; policy drop; }")
	start = time.Now()
	netlab.WaitFor(t, 90*time.Second, "a→b via c after silent loss", tr.via("h3"))
	silent = time.Since(start)
	return down, silent
}

// labTriangle is A–B, B–C, A–C, converged on the direct route a–b; it
// lasts as long as the test.
type labTriangle struct {
	t       testing.TB
	a, b, c *netlab.Host
	lls     map[string]string
}

func newLabTriangle(t testing.TB, impl string, hello time.Duration) *labTriangle {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	tr := &labTriangle{t: t, a: lab.Host("h1"), b: lab.Host("h2"), c: lab.Host("h3")}
	a, b, c := tr.a, tr.b, tr.c
	veth(t, a, b, "ab", "ba")
	veth(t, b, c, "bc", "cb")
	veth(t, a, c, "ac", "ca")
	ifs := [][]string{{"ab", "ac"}, {"ba", "bc"}, {"cb", "ca"}}
	for i, h := range []*netlab.Host{a, b, c} {
		h.Run(t, "ip", "-6", "addr", "add", fmt.Sprintf("2001:db8:%d::1/128", i+1), "dev", "lo", "nodad")
		if impl == "ours" {
			startOurs(t, h, nodeConfig(i+1, hello), babel.Tunnel, ifs[i]...)
			continue
		}
		h.Run(t, "ip", "-6", "route", "add", "unreachable", fmt.Sprintf("2001:db8:%d::/48", i+1), "proto", "static")
		conf := fmt.Sprintf("router-id 02:00:00:00:00:00:00:%02x\nredistribute local deny\nredistribute ip 2001:db8:%d::/48 eq 48\nredistribute deny\n", i+1, i+1)
		for _, name := range ifs[i] {
			conf += "interface " + name + " type tunnel\n"
		}
		startBabeld(t, h, conf, strconv.Itoa(int(hello/time.Second)))
	}
	tr.lls = linkLocals(t, a, b, c)
	netlab.WaitFor(t, 120*time.Second, "direct route a→b", tr.via("h2"))
	netlab.WaitFor(t, 30*time.Second, "ping a→b", tr.ping)
	return tr
}

// via checks both directions: a→b and b→a go through want ("h2" = direct).
func (tr *labTriangle) via(want string) func() error {
	return func() error {
		if len(tr.lls) < 9 { // babeld does not wait for the veths' addresses
			tr.lls = linkLocals(tr.t, tr.a, tr.b, tr.c)
		}
		for _, p := range []struct {
			from *netlab.Host
			dst  string
			want string
		}{{tr.a, "2001:db8:2::1", want}, {tr.b, "2001:db8:1::1", map[string]string{"h2": "h1", "h3": "h3"}[want]}} {
			got, err := nextHopHost(p.from, p.dst, tr.lls)
			if err != nil {
				return err
			}
			if got != p.want {
				return fmt.Errorf("%s reaches %s via %q, want %q", p.from.Name, p.dst, got, p.want)
			}
		}
		return nil
	}
}

func (tr *labTriangle) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := tr.a.Ping(ctx, "2001:db8:2::1", 1)
	return err
}

// TestLabChainFlap: five of our speakers in a line; the middle links flap and
// no destination may ever loop.
func TestLabChainFlap(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 5})
	hs := lab.Hosts()
	for i, h := range hs {
		h.Run(t, "ip", "-6", "addr", "add", fmt.Sprintf("2001:db8:%d::1/128", i+1), "dev", "lo", "nodad")
	}
	for i := 0; i < 4; i++ {
		veth(t, hs[i], hs[i+1], fmt.Sprintf("r%d", i), fmt.Sprintf("l%d", i+1))
	}
	for i, h := range hs {
		var names []string
		if i > 0 {
			names = append(names, fmt.Sprintf("l%d", i))
		}
		if i < 4 {
			names = append(names, fmt.Sprintf("r%d", i))
		}
		startOurs(t, h, nodeConfig(i+1, time.Second), babel.Tunnel, names...)
	}
	lls := linkLocals(t, hs...)
	// walk follows next hops from host i to destination j; it fails on a loop.
	walk := func(i, j int) (bool, error) {
		dst := fmt.Sprintf("2001:db8:%d::1", j+1)
		seen := map[int]bool{}
		for i != j {
			if seen[i] {
				return false, fmt.Errorf("loop towards %s through h%d", dst, i+1)
			}
			seen[i] = true
			next, err := nextHopHost(hs[i], dst, lls)
			if err != nil || next == "" {
				return false, err
			}
			fmt.Sscanf(next, "h%d", &i)
			i--
		}
		return true, nil
	}
	full := func() error {
		for i := range hs {
			for j := range hs {
				if ok, err := walk(i, j); err != nil || !ok {
					return fmt.Errorf("h%d cannot reach h%d (%v)", i+1, j+1, err)
				}
			}
		}
		return nil
	}
	netlab.WaitFor(t, 60*time.Second, "full reachability", full)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := hs[0].Ping(ctx, "2001:db8:5::1", 2); err != nil {
		t.Fatalf("ping end to end: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	flip := time.Now()
	up := true
	for time.Now().Before(deadline) {
		if time.Since(flip) > 1500*time.Millisecond {
			up = !up
			state := map[bool]string{true: "up", false: "down"}[up]
			hs[2].Run(t, "ip", "link", "set", "r2", state)
			flip = time.Now()
		}
		for i := range hs {
			for j := range hs {
				if _, err := walk(i, j); err != nil && strings.Contains(err.Error(), "loop") {
					t.Fatal(err)
				}
			}
		}
	}
	hs[2].Run(t, "ip", "link", "set", "r2", "up")
	netlab.WaitFor(t, 60*time.Second, "full reachability after the flaps", full)
}
