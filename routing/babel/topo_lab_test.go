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
// then silently drops packets: traffic between A and B must move to C.
// 1 s Hellos keep it short; the benchmark below uses babeld's 4 s.
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

func triangleOutages(t testing.TB, impl string, hello time.Duration) (down, silent time.Duration) {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	a, b, c := lab.Host("h1"), lab.Host("h2"), lab.Host("h3")
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
	lls := linkLocals(t, a, b, c)
	// via checks both directions: a→b and b→a go through want ("h2" = direct).
	via := func(want string) func() error {
		return func() error {
			if len(lls) < 9 { // babeld does not wait for the veths' addresses
				lls = linkLocals(t, a, b, c)
			}
			for _, p := range []struct {
				from *netlab.Host
				dst  string
				want string
			}{{a, "2001:db8:2::1", want}, {b, "2001:db8:1::1", map[string]string{"h2": "h1", "h3": "h3"}[want]}} {
				got, err := nextHopHost(p.from, p.dst, lls)
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
	ping := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := a.Ping(ctx, "2001:db8:2::1", 1)
		return err
	}
	netlab.WaitFor(t, 120*time.Second, "direct route a→b", via("h2"))
	netlab.WaitFor(t, 30*time.Second, "ping a→b", ping)

	start := time.Now()
	a.Run(t, "ip", "link", "set", "ab", "down")
	netlab.WaitFor(t, 60*time.Second, "a→b via c after link down", via("h3"))
	down = time.Since(start)
	netlab.WaitFor(t, 10*time.Second, "ping a→b via c", ping)
	a.Run(t, "ip", "link", "set", "ab", "up")
	netlab.WaitFor(t, 120*time.Second, "direct route back", via("h2"))

	a.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ab priority 0; policy drop; }")
	b.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ba priority 0; policy drop; }")
	start = time.Now()
	netlab.WaitFor(t, 90*time.Second, "a→b via c after silent loss", via("h3"))
	silent = time.Since(start)
	return down, silent
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
