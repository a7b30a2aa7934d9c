package node_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabTunnelDeathReroutes kills the OpenVPN process of a client tunnel
// that carries traffic while Babel knows a feasible route through another
// neighbour: Babel hears of it at once (the tap goes down), the traffic
// moves to the other path, and the node opens a new tunnel to get back to
// client_count.
func TestLabTunnelDeathReroutes(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	src, gap := tunnelDeath(t, d)
	t.Logf("%s: longest gap between echo replies after the kill: %v (probes every %v)", src.Host.Name, gap.Round(time.Millisecond), probeEvery)
	c := dialNode(t, src)
	// re6st opens client tunnels only to peers it has no direct link with:
	// in a small network, a node is back in shape either with client_count
	// client tunnels or with a tunnel to every other node.
	back := time.Now()
	var clients int
	var peers map[netip.Prefix]bool
	err := netlab.Poll(ctx, 60*time.Second, "client_count client tunnels again, or every node a direct peer", func() error {
		clients, peers = 0, map[netip.Prefix]bool{}
		for _, tu := range c.Snapshot().Tunnels {
			if tu.State != state.TunnelUp {
				continue
			}
			peers[tu.Peer] = true
			if tu.Role == state.Client {
				clients++
			}
		}
		if clients < 2 && len(peers) < len(d.Nodes)-1 {
			return fmt.Errorf("%d client tunnels up, %d peers", clients, len(peers))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, report(t, d))
	}
	t.Logf("%s back in shape %v later: %d client tunnels up, %d peers", src.Host.Name, time.Since(back).Round(time.Millisecond), clients, len(peers))
}

// BenchmarkLabTunnelDeath reports the outage when the OpenVPN process of a
// tunnel on an active path is killed and Babel has another path.
func BenchmarkLabTunnelDeath(b *testing.B) {
	netlab.Require(b)
	d := formed(b, demo.Config{Nodes: 5})
	var total time.Duration
	for range b.N {
		_, gap := tunnelDeath(b, d)
		b.Logf("outage %v", gap.Round(time.Millisecond))
		total += gap
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/outage")
}

// probeEvery is how often tunnelDeath sends an echo request.
const probeEvery = 20 * time.Millisecond

// tunnelDeath waits for a node whose traffic to another leaves through one
// of its client tunnels while Babel has a feasible route to that node
// through another interface, SIGKILLs that tunnel's OpenVPN under a stream
// of echo requests, and returns the node and the longest gap in replies.
func tunnelDeath(t testing.TB, d *demo.Demo) (*demo.Node, time.Duration) {
	t.Helper()
	var src, dst *demo.Node
	var tap, alt string
	var pid int
	netlab.WaitFor(t, 60*time.Second, "a path through a client tunnel with a feasible alternative", func() error {
		src, dst, tap, alt = pathWithAlternative(t, d)
		if src == nil {
			return errors.New("none yet")
		}
		// The state may still show a tunnel that has just gone.
		var err error
		pid, err = findOpenVPN(t, src.Host, tap)
		return err
	})
	t.Logf("killing the OpenVPN of %s on %s, the path to %s; alternative: %s", tap, src.Host.Name, dst.Host.Name, alt)
	p, err := src.Host.Prober(src.ID.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Stream(dst.ID.Addr, probeEvery)
	defer s.Stop()
	netlab.WaitFor(t, 5*time.Second, "echo replies flowing", func() error {
		if s.LastReply().IsZero() {
			return errors.New("no reply yet")
		}
		return nil
	})
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	netlab.WaitFor(t, 30*time.Second, "echo replies after the kill", func() error {
		if s.LastReply().Before(killed.Add(time.Second)) {
			return fmt.Errorf("last reply %v", s.LastReply())
		}
		return nil
	})
	s.Stop()
	return src, s.LongestGap()
}

// pathWithAlternative finds a node whose installed route to another node
// leaves through one of its client tunnels, while a feasible route to the
// same node goes through another interface.
func pathWithAlternative(t testing.TB, d *demo.Demo) (src, dst *demo.Node, tap, alt string) {
	for _, s := range d.Nodes {
		st, err := snapshot(s)
		if err != nil {
			continue
		}
		routes := st.Routes
		for _, o := range d.Nodes {
			if o == s {
				continue
			}
			var via string
			var others []string
			for _, r := range routes {
				if !r.Prefix.Contains(o.ID.Addr) || r.Prefix.Bits() == 0 || !r.Feasible || r.Metric == 0xFFFF {
					continue
				}
				if r.Installed {
					via = r.Iface
				} else {
					others = append(others, fmt.Sprintf("%s via %s%%%s metric %d", r.Prefix, r.NextHop, r.Iface, r.Metric))
				}
			}
			if len(others) > 0 && clientTap.MatchString(via) {
				return s, o, via, strings.Join(others, ", ")
			}
		}
	}
	return nil, nil, "", ""
}

// clientTap matches the taps of client tunnels, not the servers' shared ones.
var clientTap = regexp.MustCompile(`^re6stnet[0-9]+$`)

// findOpenVPN finds the pid of the openvpn process serving tap in host h.
func findOpenVPN(t testing.TB, h *netlab.Host, tap string) (int, error) {
	for _, f := range strings.Fields(h.Run(t, "ip", "netns", "pids", h.NS)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args := bytes.Split(cmd, []byte{0})
		for i := 0; i+1 < len(args); i++ {
			if string(args[i]) == "--dev" && string(args[i+1]) == tap && bytes.HasSuffix(args[0], []byte("openvpn")) {
				return pid, nil
			}
		}
	}
	return 0, fmt.Errorf("no openvpn for %s in %s", tap, h.Name)
}

// TestLabRegistryDown stops the registry: the network keeps working, and
// a node restarted meanwhile rejoins from its cache.
func TestLabRegistryDown(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 3})
	if err := d.StopRegistry(); err != nil {
		t.Logf("registry stop: %v", err)
	}
	if _, err := d.WaitReachable(ctx, 30*time.Second); err != nil {
		t.Fatalf("without the registry: %v\n%s", err, report(t, d))
	}
	n := d.Nodes[2]
	id := routerIDOf(t, d.Nodes[0], n)
	if err := d.Restart(n); err != nil {
		t.Fatal(err)
	}
	took, err := d.WaitReachable(ctx, 120*time.Second)
	if err != nil {
		t.Fatalf("after restarting %s without the registry: %v\n%s", n.Host.Name, err, report(t, d))
	}
	t.Logf("%s rejoined from its cache in %v without the registry", n.Host.Name, took.Round(time.Millisecond))
	// Its Babel state file kept its router-id across the clean restart.
	if again := routerIDOf(t, d.Nodes[0], n); again != id {
		t.Errorf("%s came back as router %s, was %s", n.Host.Name, again, id)
	}
}

// TestLabKilledNodeRestarts SIGKILLs a node: its next run removes what the
// killed one left (address, routes, taps, OpenVPN) and rejoins.
func TestLabKilledNodeRestarts(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 3})
	n := d.Nodes[1]
	if err := syscall.Kill(n.Proc.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.Proc.Done()
	// The kernel keeps what the killed node set up.
	if routes := n.Host.Run(t, "ip", "-6", "route"); !strings.Contains(routes, "unreachable 2001:db8:42::/48") {
		t.Fatalf("nothing left behind to clean up:\n%s", routes)
	}
	if err := d.Start(n); err != nil {
		t.Fatal(err)
	}
	took, err := d.WaitReachable(ctx, 120*time.Second)
	if err != nil {
		t.Fatalf("after the restart: %v\n%s", err, report(t, d))
	}
	t.Logf("%s rejoined %v after its restart", n.Host.Name, took.Round(time.Millisecond))
	routes := n.Host.Run(t, "ip", "-6", "route")
	if c := strings.Count(routes, "unreachable 2001:db8:42::/48"); c != 1 {
		t.Errorf("%d unreachable network routes after the restart:\n%s", c, routes)
	}
	if c := strings.Count(n.Host.Run(t, "ip", "-6", "addr", "show", "dev", "lo"), n.ID.Addr.String()); c != 1 {
		t.Errorf("node address %d times on lo", c)
	}
}

// routerIDOf is the Babel router-id that node from sees originating
// node of's prefix (its state is published once a second: it may lag).
func routerIDOf(t *testing.T, from, of *demo.Node) string {
	t.Helper()
	c, err := control.Dial(from.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var id string
	netlab.WaitFor(t, 10*time.Second, fmt.Sprintf("%s's installed route to %s", from.Host.Name, of.Host.Name), func() error {
		for _, r := range c.Snapshot().Routes {
			if r.Installed && r.Prefix.Contains(of.ID.Addr) && r.Prefix.Bits() > 0 {
				id = r.RouterID
				return nil
			}
		}
		return errors.New("none")
	})
	return id
}
