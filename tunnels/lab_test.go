package tunnels

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/tunnels/openvpn"
)

// TestLabTunnels runs, for each underlay protocol, a server in h1 and
// clients in h2 and h3, checks what the events say, pings across each tap
// and watches the byte counters grow.
func TestLabTunnels(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	pki := newPKI(t, labNetwork)
	h1, h2, h3 := lab.Host("h1"), lab.Host("h2"), lab.Host("h3")
	srv := startNode(t, h1, labConfig(t, h1, pki, "1/16", 1))
	c2 := startNode(t, h2, labConfig(t, h2, pki, "2/16", 2))
	c3 := startNode(t, h3, labConfig(t, h3, pki, "3/16", 3))
	for i, p := range []Proto{TCP, UDP, TCP6, UDP6} {
		t.Run(string(p), func(t *testing.T) {
			port := uint16(1194 + i)
			if err := srv.mgr.Serve(context.Background(), p, port); err != nil {
				t.Fatal(err)
			}
			srv.ev.wait(t, 10*time.Second, ServerUp, func(e Event) bool { return e.Tunnel == p.Iface() })
			for _, c := range []*labNode{c2, c3} {
				iface, err := c.mgr.Open("1/16", []Address{address(h1, p, port)})
				if err != nil {
					t.Fatal(err)
				}
				up := c.ev.wait(t, 20*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
				want := c.host.IPv4
				if p.IPv6() {
					want = c.host.IPv6
				}
				if up.Cipher != "none" {
					t.Errorf("%s: data cipher %q, want none", c.host.Name, up.Cipher)
				}
				if up.CN != "1/16" || up.ExternalIP != want || up.Remote != address(h1, p, port).AddrPort {
					t.Errorf("%s connected: CN %q external IP %v remote %v; want 1/16, %v, %v",
						c.host.Name, up.CN, up.ExternalIP, up.Remote, want, address(h1, p, port).AddrPort)
				}
				cn := c.cfg.Cert[strings.LastIndex(c.cfg.Cert, "/n")+2 : len(c.cfg.Cert)-4] // serial from file name
				pc := srv.ev.wait(t, 10*time.Second, PeerConnected, func(e Event) bool { return e.Serial == cn })
				if pc.CN != cn+"/16" || pc.Tunnel != p.Iface() || pc.Remote.Addr() != want {
					t.Errorf("server saw CN %q on %s from %v; want %s/16 on %s from %v", pc.CN, pc.Tunnel, pc.Remote, cn, p.Iface(), want)
				}
				// Babel talks over link-local addresses: they must work
				// across the tap, both ways.
				srvLL := linkLocal(t, h1, p.Iface())
				cliLL := linkLocal(t, c.host, iface)
				if _, err := c.host.Ping(context.Background(), srvLL.String()+"%"+iface, 3); err != nil {
					t.Error(err)
				}
				if _, err := h1.Ping(context.Background(), cliLL.String()+"%"+p.Iface(), 3); err != nil {
					t.Error(err)
				}
				checkMTU(t, c.host, iface)
				// Counters come from bytecount notifications, not polls.
				c.ev.wait(t, 10*time.Second, Stats, func(e Event) bool {
					return e.Tunnel == iface && !e.Time.Before(up.Time) && e.Counters.In > 300 && e.Counters.Out > 300
				})
				srv.ev.wait(t, 10*time.Second, Stats, func(e Event) bool { return e.CN == pc.CN && !e.Time.Before(pc.Time) && e.Counters.In > 300 })
				if ts := c.mgr.Tunnels(); len(ts) != 1 || ts[0].Iface != iface || !ts[0].Up || ts[0].Counters.In == 0 {
					t.Errorf("%s: Tunnels() = %+v", c.host.Name, ts)
				}
			}
			for _, c := range []*labNode{c2, c3} {
				if err := c.mgr.Close("re6stnet1"); err != nil {
					t.Fatal(err)
				}
				c.ev.wait(t, 10*time.Second, Exited, func(e Event) bool { return e.Tunnel == "re6stnet1" && e.Reason == "closed" })
			}
			srv.ev.wait(t, 20*time.Second, PeerDisconnected, func(e Event) bool { return e.CN == "2/16" })
			srv.ev.wait(t, 20*time.Second, PeerDisconnected, func(e Event) bool { return e.CN == "3/16" })
		})
	}
}

// checkMTU: the tap must have been brought up with the tunnel MTU.
func checkMTU(t testing.TB, h *netlab.Host, iface string) {
	t.Helper()
	link, err := h.Handle().LinkByName(iface)
	if err != nil {
		t.Fatal(err)
	}
	if a := link.Attrs(); a.MTU < 1280 || a.MTU > 1500 || a.Flags&1 == 0 {
		t.Errorf("%s: %s mtu %d flags %v: want up with an MTU in 1280..1500", h.Name, iface, a.MTU, a.Flags)
	}
}

// TestLabRefused: a revoked serial is refused by Admit, a server whose
// certificate has another CN than asked is refused by --verify-x509-name.
func TestLabRefused(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 2})
	pki := newPKI(t, labNetwork)
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	cfg := labConfig(t, h1, pki, "1/16", 1)
	cfg.Admit = func(p Peer) error {
		if p.Serial == "2" {
			return fmt.Errorf("certificate serial %s is revoked", p.Serial)
		}
		return nil
	}
	srv := startNode(t, h1, cfg)
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	ccfg := labConfig(t, h2, pki, "2/16", 2)
	ccfg.CRLDir = t.TempDir()
	c := startNode(t, h2, ccfg)

	iface, err := c.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	f := c.ev.wait(t, 30*time.Second, Failed, func(e Event) bool { return e.Tunnel == iface })
	if !strings.Contains(f.Reason, "AUTH_FAILED") {
		t.Errorf("revoked client failed with %q, want AUTH_FAILED", f.Reason)
	}
	r := srv.ev.wait(t, 5*time.Second, PeerRefused, nil)
	if r.CN != "2/16" || r.Serial != "2" || !strings.Contains(r.Reason, "revoked") {
		t.Errorf("refusal event %+v", r)
	}

	// A revoked server is refused by the client's OpenVPN (--crl-verify).
	if err := SetRevoked(ccfg.CRLDir, []*big.Int{big.NewInt(1)}); err != nil {
		t.Fatal(err)
	}
	iface, err = c.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	f = c.ev.wait(t, 30*time.Second, Failed, func(e Event) bool { return e.Tunnel == iface })
	if !strings.Contains(strings.Join(f.LastLog, "\n"), "serial=1 is revoked") {
		t.Errorf("revoked server: failed with %q (%q), want VERIFY CRL", f.Reason, f.LastLog)
	}
	if err := SetRevoked(ccfg.CRLDir, nil); err != nil {
		t.Fatal(err)
	}

	iface, err = c.mgr.Open("9/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	f = c.ev.wait(t, 30*time.Second, Failed, func(e Event) bool { return e.Tunnel == iface })
	if !strings.Contains(f.Reason, "X509NAME") && !strings.Contains(strings.Join(f.LastLog, "\n"), "X509NAME") {
		t.Errorf("wrong-CN tunnel failed with %q (%q), want a VERIFY X509NAME error", f.Reason, f.LastLog)
	}
}

// TestLabSupervision: a killed openvpn is reported at once, addresses are
// tried in order, Stop leaves nothing behind.
func TestLabSupervision(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 2})
	pki := newPKI(t, labNetwork)
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	srv := startNode(t, h1, labConfig(t, h1, pki, "1/16", 1))
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	ccfg := labConfig(t, h2, pki, "2/16", 2)
	c := startNode(t, h2, ccfg)
	// The first address has no server: the second one must be used.
	dead := address(h1, TCP, 1999)
	iface, err := c.mgr.Open("1/16", []Address{dead, address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	up := c.ev.wait(t, 60*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
	if up.Remote.Port() != 1194 {
		t.Errorf("connected through %v, want port 1194", up.Remote)
	}
	pid := readPid(t, ccfg.RunDir, iface)
	start := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// At once: well before --ping-exit (4 × hello, 120 s here) could tell.
	ex := c.ev.wait(t, 10*time.Second, Exited, func(e Event) bool { return e.Tunnel == iface })
	t.Logf("down event %v after SIGKILL: %s", time.Since(start), ex.Reason)
	if !strings.Contains(ex.Reason, "killed") {
		t.Errorf("exit reason %q does not say killed", ex.Reason)
	}

	// A server that dies is reported too.
	spid := readPid(t, srv.cfg.RunDir, TCP.Iface())
	if err := syscall.Kill(spid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if e := srv.ev.wait(t, 10*time.Second, Exited, nil); !e.Server || e.Tunnel != TCP.Iface() {
		t.Errorf("server exit event %+v", e)
	}
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatalf("serve again after a crash: %v", err)
	}

	// Stop: no openvpn left, no tap left.
	if _, err := c.mgr.Open("1/16", []Address{address(h1, TCP, 1194)}); err != nil {
		t.Fatal(err)
	}
	c.ev.wait(t, 20*time.Second, Connected, nil)
	pids := []int{readPid(t, ccfg.RunDir, "re6stnet1"), readPid(t, srv.cfg.RunDir, TCP.Iface())}
	for _, n := range []*labNode{c, srv} {
		if err := n.mgr.Stop(); err != nil {
			t.Fatal(err)
		}
		if left, err := n.cfg.Taps.Stale(); err != nil || len(left) > 0 {
			t.Errorf("%s: taps left after Stop: %v %v", n.host.Name, left, err)
		}
	}
	for _, pid := range pids {
		if processAlive(pid) {
			t.Errorf("openvpn %d still running after Stop", pid)
		}
	}
	if _, err := c.mgr.Open("1/16", []Address{address(h1, TCP, 1194)}); !errors.Is(err, ErrStopped) {
		t.Errorf("Open after Stop: %v, want ErrStopped", err)
	}
}

// TestLabPortInUse: a busy port is a clear error.
func TestLabPortInUse(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1})
	pki := newPKI(t, labNetwork)
	h1 := lab.Host("h1")
	n := startNode(t, h1, labConfig(t, h1, pki, "1/16", 1))
	if err := n.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	second := startNode(t, h1, labConfig(t, h1, pki, "1/16", 1))
	err := second.mgr.Serve(context.Background(), TCP, 1194)
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--pp") {
		t.Fatalf("Serve on a busy port: %v; want an error naming the port and the fix", err)
	}
}

func readPid(t testing.TB, dir, name string) int {
	t.Helper()
	var pid int
	netlab.WaitFor(t, 5*time.Second, "pid file of "+name, func() error {
		b, err := os.ReadFile(openvpn.PidFile(dir, name))
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	})
	return pid
}

func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
