package netlab

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// childEnv selects the scenario a re-executed test binary plays.
const childEnv = "NETLAB_CHILD"

func TestLabThreeHosts(t *testing.T) {
	l := New(t, Config{Hosts: 3})
	ctx := context.Background()
	hosts := l.Hosts()
	for _, from := range hosts {
		for _, to := range hosts {
			if from == to {
				continue
			}
			for _, dst := range []string{
				to.IPv4.String(),
				to.IPv6.String(),
				to.LinkLocal.String() + "%" + from.Iface,
			} {
				if _, err := from.Ping(ctx, dst, 2); err != nil {
					t.Errorf("%s → %s (%s): %v", from.Name, to.Name, dst, err)
				}
			}
		}
	}
}

func TestLabProcessStaysInItsHost(t *testing.T) {
	l := New(t, Config{Hosts: 2})
	h1, h2 := l.Host("h1"), l.Host("h2")
	// A shell with a child: Stop must take the whole group down.
	p, err := h1.Start("sh", "-c", "sleep 300 & echo child $!; wait")
	if err != nil {
		t.Fatal(err)
	}
	var child int
	WaitFor(t, 5*time.Second, "child pid in output", func() error {
		_, err := fmt.Sscanf(p.Output(), "child %d", &child)
		return err
	})
	for _, pid := range []int{p.Pid, child} {
		if got, want := nsInode(t, "/proc/"+strconv.Itoa(pid)+"/ns/net"), nsInode(t, filepath.Join(nsDir, h1.NS)); got != want {
			t.Errorf("pid %d is in namespace %d, want h1's %d", pid, got, want)
		}
		if nsInode(t, "/proc/"+strconv.Itoa(pid)+"/ns/net") == nsInode(t, filepath.Join(nsDir, h2.NS)) {
			t.Errorf("pid %d is visible in h2", pid)
		}
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	WaitFor(t, 5*time.Second, "child of the stopped process to exit", func() error {
		if alive(child) {
			return fmt.Errorf("pid %d still runs", child)
		}
		return nil
	})
}

func TestLabSysctlIsPerNamespace(t *testing.T) {
	l := New(t, Config{Hosts: 2})
	h1, h2 := l.Host("h1"), l.Host("h2")
	if err := h1.Sysctl("net.ipv6.conf.eth0.accept_ra", "2"); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(h1.Run(t, "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra")); got != "2" {
		t.Errorf("h1 accept_ra = %s, want 2", got)
	}
	if got := strings.TrimSpace(h2.Run(t, "cat", "/proc/sys/net/ipv6/conf/eth0/accept_ra")); got == "2" {
		t.Error("setting h1's sysctl changed h2's")
	}
	if got := strings.TrimSpace(h2.Run(t, "cat", "/proc/sys/net/ipv6/conf/all/forwarding")); got != "1" {
		t.Errorf("forwarding = %s, want 1", got)
	}
}

func TestLabRouterSegments(t *testing.T) {
	for _, nat := range []bool{false, true} {
		t.Run(fmt.Sprintf("nat=%v", nat), func(t *testing.T) {
			l := New(t, Config{Hosts: 1, LANHosts: 1, NAT: nat})
			h1, l1 := l.Host("h1"), l.Host("l1")
			ctx := context.Background()
			if _, err := l1.Ping(ctx, h1.IPv4.String(), 2); err != nil {
				t.Errorf("LAN → internet: %v", err)
			}
			_, err := h1.Ping(ctx, l1.IPv4.String(), 1)
			if nat && err == nil {
				t.Error("internet host reaches a NATed LAN host directly")
			}
			if !nat && err != nil {
				t.Errorf("internet → LAN without NAT: %v", err)
			}
		})
	}
}

// TestLabLeavesNothing runs labs in child test processes that pass, fail
// and panic midway, and checks that none of them leaves a namespace, link,
// process or lock file behind.
func TestLabLeavesNothing(t *testing.T) {
	Require(t)
	before := hostLinks(t)
	for _, scenario := range []string{"pass", "fatal", "panic"} {
		t.Run(scenario, func(t *testing.T) {
			out, _ := runChild(t, scenario).CombinedOutput()
			id, pids := parseChild(t, string(out))
			assertGone(t, id, pids)
		})
	}
	if after := hostLinks(t); !equalSets(before, after) {
		t.Errorf("host namespace links changed: before %v, after %v", before, after)
	}
}

// TestSweepAfterSIGKILL kills a test process that holds a lab, then checks
// that the next sweep removes what it left.
func TestSweepAfterSIGKILL(t *testing.T) {
	Require(t)
	cmd := runChild(t, "hang")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var id string
	var pids []int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "LAB "); ok {
			id = v
		} else if v, ok := strings.CutPrefix(line, "PID "); ok {
			pid, _ := strconv.Atoi(v)
			pids = append(pids, pid)
		} else if line == "READY" {
			break
		}
	}
	if id == "" || len(pids) == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not report its lab")
	}
	// Checked while the child lives and holds its lab's lock: once it is
	// dead, any lab built meanwhile by another test process sweeps too.
	orphan := pids[len(pids)-1]
	if len(labNamespaces(id)) == 0 || !alive(orphan) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the child's lab has no namespace or no process: nothing to sweep, the test proves nothing")
	}
	cmd.Process.Kill()
	cmd.Wait()
	swept, err := Sweep()
	if err != nil {
		// Another run's leftover that cannot go is not this test's lab.
		if strings.Contains(err.Error(), nsPrefix+id+"-") {
			t.Fatalf("sweep: %v", err)
		}
		t.Logf("sweep, other labs: %v", err)
	}
	if !slices.Contains(swept, id) {
		// Only another process's sweep may have been first, and it
		// removes the whole lab.
		WaitFor(t, 10*time.Second, "the dead lab swept by another process", func() error {
			_, lockErr := os.Stat(filepath.Join(lockDir, id+".lock"))
			if ns := labNamespaces(id); len(ns) > 0 || lockErr == nil {
				return fmt.Errorf("our sweep removed %v, and the dead lab %s is still there (%d namespaces)", swept, id, len(ns))
			}
			for _, pid := range pids {
				if alive(pid) {
					return fmt.Errorf("our sweep removed %v, and process %d of the dead lab %s still runs", swept, pid, id)
				}
			}
			return nil
		})
		t.Logf("the dead lab %s was swept by another test process first", id)
	}
	assertGone(t, id, pids)
}

// TestConcurrentLabs runs two labs with the same host names in two
// processes at once, as two packages' tests do under go test ./....
func TestConcurrentLabs(t *testing.T) {
	Require(t)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := runChild(t, "ping").CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil {
			t.Errorf("lab %d: %v\n%s", i, errs[i], outs[i])
			continue
		}
		id, pids := parseChild(t, outs[i])
		assertGone(t, id, pids)
	}
}

// TestChild is the body of the child processes; it does nothing in a normal
// run.
func TestChild(t *testing.T) {
	scenario := os.Getenv(childEnv)
	if scenario == "" {
		t.Skip("only runs as a child of the lab tests")
	}
	l := New(t, Config{Hosts: 2})
	fmt.Printf("LAB %s\n", l.ID())
	p, err := l.Host("h1").Start("sleep", "300")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("PID %d\n", p.Pid)
	// An orphan the lab did not start itself: only the namespace sweep
	// can find it.
	out := l.Host("h2").Run(t, "sh", "-c", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!")
	fmt.Printf("PID %s\n", strings.TrimSpace(out))
	switch scenario {
	case "fatal":
		t.Fatal("failing midway on purpose")
	case "panic":
		panic("panicking midway on purpose")
	case "hang":
		if _, err := l.MkdirTemp("files"); err != nil {
			t.Fatal(err)
		}
		fmt.Println("READY")
		select {}
	case "ping":
		if _, err := l.Host("h1").Ping(context.Background(), l.Host("h2").IPv4.String(), 3); err != nil {
			t.Fatal(err)
		}
	}
}

func runChild(t *testing.T, scenario string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+scenario, EnvVar+"=1")
	return cmd
}

func parseChild(t *testing.T, out string) (id string, pids []int) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "LAB "); ok {
			id = v
		} else if v, ok := strings.CutPrefix(line, "PID "); ok {
			pid, err := strconv.Atoi(v)
			if err == nil {
				pids = append(pids, pid)
			}
		}
	}
	if id == "" || len(pids) != 2 {
		t.Fatalf("child did not report its lab and processes:\n%s", out)
	}
	return id, pids
}

func assertGone(t *testing.T, id string, pids []int) {
	t.Helper()
	if ns := labNamespaces(id); len(ns) > 0 {
		t.Errorf("namespaces left: %v", ns)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d left running", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if _, err := os.Stat(filepath.Join(lockDir, id+".lock")); err == nil {
		t.Errorf("lock file of lab %s left", id)
	}
	if dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+id+"-*")); len(dirs) > 0 {
		t.Errorf("directories of lab %s left: %v", id, dirs)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func nsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

func hostLinks(t *testing.T) []string {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

func TestAddrIn(t *testing.T) {
	for _, c := range []struct {
		prefix string
		n      int
		want   string
	}{
		{"198.18.0.0/24", 11, "198.18.0.11"},
		{"2001:db8:ff00::/64", 11, "2001:db8:ff00::11"},
		{"2001:db8:ff00::/64", 1, "2001:db8:ff00::1"},
		{"2001:db8:ff01::/64", 210, "2001:db8:ff01::210"},
	} {
		if got := addrIn(netip.MustParsePrefix(c.prefix), c.n).String(); got != c.want {
			t.Errorf("addrIn(%s, %d) = %s, want %s", c.prefix, c.n, got, c.want)
		}
	}
}
