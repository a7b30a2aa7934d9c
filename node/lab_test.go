package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node"
	"re6st-tui/node/babelctl"
	"re6st-tui/node/control"
	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
	"re6st-tui/node/regclient"
	"re6st-tui/node/state"
)

// The node serves what the dashboard and the control socket need.
var _ control.Engine = (*node.Node)(nil)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// binaries builds the commands the network runs, once per test binary.
func binaries(t testing.TB) func(string) (string, error) {
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "re6st-node-test-")
		for _, cmd := range []string{"re6st-registry", "re6st-conf", "re6stnet"} {
			if out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, cmd), "re6st-tui/cmd/"+cmd).CombinedOutput(); err != nil {
				binErr = fmt.Errorf("go build %s: %v\n%s", cmd, err, out)
			}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return func(name string) (string, error) { return filepath.Join(binDir, name), nil }
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// formed starts a demo network for a test, removed when it ends, and
// waits until every node reaches every other.
func formed(t testing.TB, cfg demo.Config) *demo.Demo {
	t.Helper()
	cfg.Bin = binaries(t)
	ctx := context.Background()
	d, err := demo.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.WaitReachable(ctx, 90*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, report(t, d))
	}
	return d
}

// report is what a failing test shows of each node.
func report(t testing.TB, d *demo.Demo) string {
	var b strings.Builder
	for _, n := range d.Nodes {
		log, _ := os.ReadFile(n.LogFile())
		// OpenVPN's start-up dump of its settings would fill the tail.
		var lines []string
		for _, l := range strings.Split(string(log), "\n") {
			if !strings.Contains(l, "DEBUG    [openvpn]") {
				lines = append(lines, l)
			}
		}
		lines = lines[max(0, len(lines)-80):]
		fmt.Fprintf(&b, "==== %s (%s)\n%s\n%s\n", n.Host.Name, n.ID.Addr, n.Proc.Output(), strings.Join(lines, "\n"))
		if c, err := control.Dial(n.ControlSocket()); err == nil {
			st := c.Snapshot()
			c.Close()
			fmt.Fprintf(&b, "status %+v\n", st.Status)
			for _, tn := range st.Tunnels {
				fmt.Fprintf(&b, "tunnel %s %s %s with %s since %s\n", tn.ID, tn.Role, tn.State, tn.Peer, tn.Since.Format("15:04:05.000"))
			}
			for _, nb := range st.Neighbours {
				fmt.Fprintf(&b, "neighbour %+v\n", nb)
			}
		}
		fmt.Fprintf(&b, "%s", n.Host.Run(t, "ip", "-6", "route"))
	}
	return b.String()
}

func TestLabNetworkForms(t *testing.T) {
	netlab.Require(t)
	const nodes = 3
	ctx := context.Background()
	start := time.Now()
	d := formed(t, demo.Config{Nodes: nodes})
	t.Logf("all-pairs reachability of %d nodes %v after the first node started", nodes, time.Since(start).Round(time.Millisecond))
	// The control socket serves the live state (Babel's part of it is
	// published once a second: it may lag the network by that much).
	c, err := control.Dial(d.Nodes[1].ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	waitNetwork(t, d, 10*time.Second, "the state through the control socket", func() error {
		st := c.Snapshot()
		if st.Identity.Address != d.Nodes[1].ID.Addr || len(st.Neighbours) == 0 || len(st.Tunnels) == 0 {
			return fmt.Errorf("snapshot: identity %+v, %d neighbours, %d tunnels", st.Identity, len(st.Neighbours), len(st.Tunnels))
		}
		return nil
	})
	c.Close()
	// The peer detail view shows each peer's version and addresses.
	waitNetwork(t, d, 30*time.Second, "the version and addresses of every tunnel's peer", func() error {
		c, err := control.Dial(d.Nodes[1].ControlSocket())
		if err != nil {
			return err
		}
		defer c.Close()
		for _, tu := range c.Snapshot().Tunnels {
			// We dialled a client tunnel's peer: its addresses are cached.
			if !strings.Contains(tu.Version, node.Version) || tu.Role == state.Client && len(tu.PeerAddrs) == 0 {
				return fmt.Errorf("tunnel %s: version %q, addresses %v", tu.ID, tu.Version, tu.PeerAddrs)
			}
		}
		return nil
	})
	// The registry asks the live network through the node beside it.
	reg := clientIn(t, d.Nodes[0].Host, "http://127.0.0.1/")
	waitNetwork(t, d, 30*time.Second, "versions of every node", func() error {
		b, err := reg.Versions(ctx)
		if err != nil {
			return err
		}
		var v map[string]*string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		for _, n := range d.Nodes {
			if s := v[n.ID.Prefix]; s == nil || !strings.Contains(*s, node.Version) {
				return fmt.Errorf("versions %s: none for %s", b, n.Host.Name)
			}
		}
		return nil
	})
	waitNetwork(t, d, 30*time.Second, "topology with every node", func() error {
		b, err := reg.Topology(ctx)
		if err != nil {
			return err
		}
		var topo map[string][]string
		if err := json.Unmarshal(b, &topo); err != nil {
			return err
		}
		if len(topo[""]) != nodes {
			return fmt.Errorf("topology %s: want %d nodes answering", b, nodes)
		}
		return nil
	})
	// re6st's Python registry reads the routing table of the node beside it
	// on <run>/babeld.sock, in the patched babeld's binary protocol.
	waitNetwork(t, d, 30*time.Second, "every other node's route in h1's babeld.sock dump", func() error {
		dump, err := babelctl.Query(ctx, filepath.Join(d.Nodes[0].Dir, "run", "babeld.sock"), babelctl.DumpInterfaces|babelctl.DumpNeighbours|babelctl.DumpRoutes)
		if err != nil {
			return err
		}
		neighbours := map[netip.Addr]bool{}
		for _, nb := range dump.Neighbours {
			neighbours[nb.Addr] = true
		}
		for _, n := range d.Nodes[1:] {
			i := slices.IndexFunc(dump.Routes, func(r babelctl.DumpRoute) bool { return r.Prefix == n.ID.Subnet && r.Installed })
			if i < 0 || !neighbours[dump.Routes[i].Neighbour] {
				return fmt.Errorf("no installed route to %s through a dumped neighbour: %+v", n.ID.Subnet, dump)
			}
		}
		return nil
	})
	// A node asks for a bootstrap peer: the registry offers another node.
	boot := clientIn(t, d.Nodes[2].Host, d.Registry)
	boot.SetIdentity(d.Nodes[2].ID.CA, d.Nodes[2].ID.Key, d.Nodes[2].ID.Prefix)
	waitNetwork(t, d, 30*time.Second, "a bootstrap peer", func() error {
		prefix, addrs, ok, err := boot.GetBootstrapPeer(ctx)
		if err != nil || !ok {
			return fmt.Errorf("none (%v)", err)
		}
		if prefix == d.Nodes[2].ID.Prefix || !strings.Contains(addrs, "198.18.0.") {
			return fmt.Errorf("offered %s at %q", prefix, addrs)
		}
		return nil
	})

	// SIGTERM: each node removes what it made.
	for _, n := range d.Nodes {
		if err := n.Proc.Stop(); err != nil {
			t.Errorf("%s: %v", n.Host.Name, err)
		}
		routes := n.Host.Run(t, "ip", "-6", "route")
		if strings.Contains(routes, "proto babel") || strings.Contains(routes, "unreachable") {
			t.Errorf("%s: routes left after stop:\n%s", n.Host.Name, routes)
		}
		if links := n.Host.Run(t, "ip", "link"); strings.Contains(links, "re6stnet") {
			t.Errorf("%s: taps left after stop:\n%s", n.Host.Name, links)
		}
		if addrs := n.Host.Run(t, "ip", "-6", "addr", "show", "dev", "lo"); strings.Contains(addrs, n.ID.Addr.String()) {
			t.Errorf("%s: node address left after stop:\n%s", n.Host.Name, addrs)
		}
	}
}

// waitNetwork waits for cond, and fails with each node's report if it is
// not met within timeout; -v shows how long it took.
func waitNetwork(t *testing.T, d *demo.Demo, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	start := time.Now()
	if err := netlab.Poll(context.Background(), timeout, what, cond); err != nil {
		t.Fatalf("%v\n%s", err, report(t, d))
	}
	t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
}

// clientIn returns a registry client whose connections are made inside
// host h.
func clientIn(t *testing.T, h *netlab.Host, url string) *regclient.Client {
	t.Helper()
	c, err := regclient.New(url)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = h.HTTPClient(20 * time.Second)
	return c
}

// snapshot reads a node's state through its control socket.
func snapshot(n *demo.Node) (state.State, error) {
	c, err := control.Dial(n.ControlSocket())
	if err != nil {
		return state.State{}, fmt.Errorf("%s: %w", n.Host.Name, err)
	}
	defer c.Close()
	return c.Snapshot(), nil
}

// snapshotOf is snapshot for a node that must answer.
func snapshotOf(t testing.TB, n *demo.Node) state.State {
	t.Helper()
	st, err := snapshot(n)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// dialNode connects to a node's control socket for the rest of the test.
func dialNode(t testing.TB, n *demo.Node) *control.Client {
	t.Helper()
	c, err := control.Dial(n.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
