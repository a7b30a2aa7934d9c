package tunnels

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"re6st-tui/node/netlab"
	"re6st-tui/tunnels/tap"
)

// Environment of TestLabChildNode, set by TestLabKilledNode.
const (
	envChildNS   = "TUNNELS_CHILD_NS"
	envChildDir  = "TUNNELS_CHILD_DIR"
	envChildCA   = "TUNNELS_CHILD_CA"
	envChildCert = "TUNNELS_CHILD_CERT"
	envChildKey  = "TUNNELS_CHILD_KEY"
	envChildDH   = "TUNNELS_CHILD_DH"
	envChildIP   = "TUNNELS_CHILD_IP"
)

// TestLabChildNode is not a test: run as a child by TestLabKilledNode, it
// is a node that serves and tunnels to itself, then waits to be killed.
func TestLabChildNode(t *testing.T) {
	ns := os.Getenv(envChildNS)
	if ns == "" {
		t.Skip("child process of TestLabKilledNode")
	}
	nsh, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		RunDir: os.Getenv(envChildDir), CA: os.Getenv(envChildCA), Cert: os.Getenv(envChildCert),
		Key: os.Getenv(envChildKey), DH: os.Getenv(envChildDH), Hello: 30 * time.Second,
		MaxClients: 4, ClientCount: 2,
		Taps: tap.Links{Handle: h, Do: func(fn func() error) error { return inNS(nsh, fn) }},
		Command: func(ctx context.Context, name string, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
		},
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	ip := os.Getenv(envChildIP)
	if _, err := m.Open("1/16", []Address{{AddrPort: mustAddrPort(ip + ":1194"), Proto: TCP}}); err != nil {
		t.Fatal(err)
	}
	for ev := range m.Events() {
		if ev.Kind == Connected {
			fmt.Println("READY")
		}
	}
}

// inNS runs fn on a locked thread moved into ns, and moves it back.
func inNS(ns netns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	if err := netns.Set(ns); err != nil {
		return err
	}
	defer netns.Set(orig)
	return fn()
}

// TestLabKilledNode: SIGKILL of the whole node leaves no openvpn behind
// (parent-death signal), and the next start removes the taps it left.
func TestLabKilledNode(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1})
	pki := newPKI(t, labNetwork)
	h1 := lab.Host("h1")
	cfg := labConfig(t, h1, pki, "1/16", 1)
	child := exec.Command(os.Args[0], "-test.run=^TestLabChildNode$", "-test.v")
	child.Env = append(os.Environ(), envChildNS+"="+h1.NS, envChildDir+"="+cfg.RunDir,
		envChildCA+"="+cfg.CA, envChildCert+"="+cfg.Cert, envChildKey+"="+cfg.Key,
		envChildDH+"="+cfg.DH, envChildIP+"="+h1.IPv4.String())
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var seen []string
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- nil
				return
			}
			seen = append(seen, sc.Text())
		}
		ready <- fmt.Errorf("child node ended before its tunnel came up:\n%s", strings.Join(seen, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("child node not ready within 60 s")
	}
	pids := []int{readPid(t, cfg.RunDir, TCP.Iface()), readPid(t, cfg.RunDir, "re6stnet1")}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	netlab.WaitFor(t, 5*time.Second, "openvpn children of the killed node to die", func() error {
		for _, pid := range pids {
			if processAlive(pid) {
				return fmt.Errorf("openvpn %d alive", pid)
			}
		}
		return nil
	})
	stale, err := cfg.Taps.Stale()
	if err != nil || len(stale) != 2 {
		t.Fatalf("taps left by the killed node: %v %v; want re6stnet-tcp and re6stnet1", stale, err)
	}
	n := startNode(t, h1, cfg) // Start cleans up
	if left, err := n.cfg.Taps.Stale(); err != nil || len(left) > 0 {
		t.Fatalf("taps after the next start: %v %v; want none", left, err)
	}
	// And the same ports and taps work again.
	if err := n.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
}
