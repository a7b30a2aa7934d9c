package node_test

import (
	"bytes"
	"net"
	"net/netip"
	"sync"

	"context"
	"fmt"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
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

var viaClientTap = regexp.MustCompile(`dev (re6stnet[0-9]+)`)

// TestLabTunnelDeathReroutes kills the OpenVPN process of a client tunnel
// that carries traffic: Babel hears of it at once (the tap goes down), the
// traffic moves to another path, and the node opens a new tunnel to get
// back to client_count.
func TestLabTunnelDeathReroutes(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	src, dst, tap := pathThroughClientTunnel(t, d)
	if src == nil {
		t.Skip("no node routes another through one of its client tunnels in this network")
	}
	pid := openvpnOn(t, src.Host, tap)
	p := startProbe(t, src.Host, dst.ID.Addr)
	netlab.WaitFor(t, 5*time.Second, "echo replies flowing", func() error {
		if p.replies() == 0 {
			return fmt.Errorf("no reply yet")
		}
		return nil
	})
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	netlab.WaitFor(t, 30*time.Second, "echo replies after the kill", func() error {
		if p.lastReply().Before(killed.Add(time.Second)) {
			return fmt.Errorf("last reply %v", p.lastReply())
		}
		return nil
	})
	p.stop()
	t.Logf("killed openvpn on %s of %s (path to %s): longest gap between echo replies %v (probes every %v)",
		tap, src.Host.Name, dst.Host.Name, p.longestGap().Round(time.Millisecond), probeEvery)
	netlab.WaitFor(t, 30*time.Second, "traffic on another path", func() error {
		_, err := src.Host.Ping(ctx, dst.ID.Addr.String(), 1)
		return err
	})
	c, err := control.Dial(src.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// re6st opens client tunnels only to peers it has no direct link with:
	// in a small network, a node is back in shape either with client_count
	// client tunnels or with a tunnel to every other node.
	err = netlab.Poll(ctx, 60*time.Second, "client_count client tunnels again, or every node a direct peer", func() error {
		clients, peers := 0, map[netip.Prefix]bool{}
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
}

// pathThroughClientTunnel finds a node whose route to another node leaves
// through one of its client tunnels, with another tunnel to fall back on.
func pathThroughClientTunnel(t *testing.T, d *demo.Demo) (src, dst *demo.Node, tap string) {
	for _, s := range d.Nodes {
		links := s.Host.Run(t, "ip", "-o", "link")
		if strings.Count(links, "re6stnet") < 2 {
			continue
		}
		for _, o := range d.Nodes {
			if o == s {
				continue
			}
			m := viaClientTap.FindStringSubmatch(s.Host.Run(t, "ip", "-6", "route", "get", o.ID.Addr.String()))
			if m != nil {
				return s, o, m[1]
			}
		}
	}
	return nil, nil, ""
}

// openvpnOn finds the pid of the openvpn process serving tap in host h.
func openvpnOn(t *testing.T, h *netlab.Host, tap string) int {
	t.Helper()
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
				return pid
			}
		}
	}
	t.Fatalf("no openvpn for %s in %s", tap, h.Name)
	return 0
}

// probeEvery is how often startProbe sends an echo request.
const probeEvery = 20 * time.Millisecond

// probe sends ICMPv6 echo requests from inside a host and records when
// replies come back; unlike a ping tool it keeps going when a send fails
// because the route is gone for a moment.
type probe struct {
	conn *icmp.PacketConn
	quit chan struct{}
	mu   sync.Mutex
	// times of the replies, guarded by mu
	times []time.Time
}

func startProbe(t *testing.T, h *netlab.Host, dst netip.Addr) *probe {
	t.Helper()
	p := &probe{quit: make(chan struct{})}
	if err := h.Do(func() error {
		var err error
		p.conn, err = icmp.ListenPacket("ip6:ipv6-icmp", "::")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := p.conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if m, err := icmp.ParseMessage(58, buf[:n]); err == nil && m.Type == ipv6.ICMPTypeEchoReply {
				p.mu.Lock()
				p.times = append(p.times, time.Now())
				p.mu.Unlock()
			}
		}
	}()
	go func() {
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: 0x6e36, Seq: seq & 0xffff, Data: []byte("re6st")}}
			b, _ := msg.Marshal(nil)
			p.conn.WriteTo(b, &net.IPAddr{IP: dst.AsSlice()}) // a failed send is a lost probe
			select {
			case <-p.quit:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

func (p *probe) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
		p.conn.Close()
	}
}

func (p *probe) replies() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.times)
}

func (p *probe) lastReply() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.times) == 0 {
		return time.Time{}
	}
	return p.times[len(p.times)-1]
}

// longestGap is the longest time without a reply: the outage.
func (p *probe) longestGap() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gap time.Duration
	for i := 1; i < len(p.times); i++ {
		gap = max(gap, p.times[i].Sub(p.times[i-1]))
	}
	return gap
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
	if err := d.Restart(n); err != nil {
		t.Fatal(err)
	}
	took, err := d.WaitReachable(ctx, 120*time.Second)
	if err != nil {
		t.Fatalf("after restarting %s without the registry: %v\n%s", n.Host.Name, err, report(t, d))
	}
	t.Logf("%s rejoined from its cache in %v without the registry", n.Host.Name, took.Round(time.Millisecond))
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
