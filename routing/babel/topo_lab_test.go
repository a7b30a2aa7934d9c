package babel_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// veth joins hosts a and b with a veth pair named an (in a) and bn (in b).
func veth(t *testing.T, a, b *netlab.Host, an, bn string) {
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
func linkLocals(t *testing.T, hosts ...*netlab.Host) map[string]string {
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

// TestLabTriangle: A–B, B–C, A–C; the A–B link goes down, then silently
// drops packets: traffic from A to B must move to C. Outages are logged.
func TestLabTriangle(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	a, b, c := lab.Host("h1"), lab.Host("h2"), lab.Host("h3")
	veth(t, a, b, "ab", "ba")
	veth(t, b, c, "bc", "cb")
	veth(t, a, c, "ac", "ca")
	for i, h := range []*netlab.Host{a, b, c} {
		h.Run(t, "ip", "-6", "addr", "add", fmt.Sprintf("2001:db8:%d::1/128", i+1), "dev", "lo")
	}
	startOurs(t, a, nodeConfig(1, 4*time.Second), babel.Tunnel, "ab", "ac")
	startOurs(t, b, nodeConfig(2, 4*time.Second), babel.Tunnel, "ba", "bc")
	startOurs(t, c, nodeConfig(3, 4*time.Second), babel.Tunnel, "cb", "ca")
	lls := linkLocals(t, a, b, c)
	// via checks both directions: a→b and b→a go through want ("h2"/"h1" = direct).
	via := func(want string) func() error {
		return func() error {
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
	netlab.WaitFor(t, 90*time.Second, "direct route a→b", via("h2"))
	netlab.WaitFor(t, 30*time.Second, "ping a→b", ping)

	down := time.Now()
	a.Run(t, "ip", "link", "set", "ab", "down")
	netlab.WaitFor(t, 10*time.Second, "a→b via c after link down", via("h3"))
	t.Logf("outage, link set down: %v", time.Since(down))
	netlab.WaitFor(t, 10*time.Second, "ping a→b via c", ping)
	a.Run(t, "ip", "link", "set", "ab", "up")
	netlab.WaitFor(t, 60*time.Second, "direct route back", via("h2"))

	a.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ab priority 0; policy drop; }")
	b.Run(t, "nft", "add table netdev lab; add chain netdev lab in { type filter hook ingress device ba priority 0; policy drop; }")
	drop := time.Now()
	netlab.WaitFor(t, 60*time.Second, "a→b via c after silent loss", via("h3"))
	t.Logf("outage, silent loss: %v", time.Since(drop))
}

// TestLabChainFlap: five of our speakers in a line; the middle links flap and
// no destination may ever loop.
func TestLabChainFlap(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 5})
	hs := lab.Hosts()
	for i, h := range hs {
		h.Run(t, "ip", "-6", "addr", "add", fmt.Sprintf("2001:db8:%d::1/128", i+1), "dev", "lo")
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
