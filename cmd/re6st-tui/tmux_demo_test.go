package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// TestLabTmuxDemo runs `re6st-tui demo` in tmux, as the README says, and
// uses the dashboard on a real network: the default-route conflict's
// banner, its fix applied and reverted, every tab, killing a tunnel, a
// trace to another node, and quitting, which removes the network.
func TestLabTmuxDemo(t *testing.T) {
	netlab.Require(t)
	hostBefore := hostDefaults(t)
	s := startDemo(t)
	s.wantWithin(2*time.Minute, "● connected", "2001:db8:42:1::/64", "re6stnet")
	_, lab := demoProcess(t, s)
	defaultRouteFix(t, s)
	s.keys("2")
	s.want("DESTINATION", "2001:db8:42::/48")
	s.keys("3")
	s.want("RXCOST", "re6stnet")
	// The node's start is far up a log that has grown since: the filter
	// finds it.
	s.keys("4", "/")
	s.tmux("send-keys", "-t", s.session, "-l", "node started")
	s.keys("Enter")
	s.want("filter: node started", "node started prefix=")
	s.keys("Escape")
	// The next key waits for the filter to go: sent at once, escape and
	// a digit reach the program as alt+digit.
	netlab.WaitFor(t, 15*time.Second, "the filter cleared", func() error {
		if strings.Contains(s.screen(), "filter: node started") {
			return fmt.Errorf("still filtered:\n%s", s.screen())
		}
		return nil
	})
	s.keys("1")
	s.want("PEER")
	// The dashboard's own node, h2, is a client of the registry's node.
	s.wantWithin(time.Minute, " cli ")
	s.keys("x")
	s.want("Kill tunnel re6stnet")
	s.keys("y")
	s.want("kill tunnel re6stnet", ": done")
	s.keys("5", "Enter")
	s.tmux("send-keys", "-t", s.session, "-l", "2001:db8:42::1")
	s.keys("Enter")
	s.wantWithin(time.Minute, "trace to 2001:db8:42::1", "2001:db8:42::1 ")
	s.keys("q")
	s.wantWithin(time.Minute, "exited 0")
	screen := s.tmux("capture-pane", "-p", "-t", s.session)
	if strings.Contains(screen, "remove the demo network") {
		t.Errorf("the demo could not remove its network:\n%s", screen)
	}
	if left, _ := filepath.Glob("/run/netns/" + netlab.Namespace(lab, "*")); len(left) > 0 {
		t.Errorf("namespaces left after quitting: %v", left)
	}
	if got := hostDefaults(t); got != hostBefore {
		t.Errorf("this machine's default routes changed:\n%s\nbefore:\n%s", got, hostBefore)
	}
}

// TestLabTmuxDemoHangup closes the demo's terminal instead of quitting
// (tmux kill-session hangs it up, as closing a terminal window does): the
// demo still removes its network, its processes and its directory.
func TestLabTmuxDemoHangup(t *testing.T) {
	netlab.Require(t)
	s := startDemo(t)
	s.wantWithin(2*time.Minute, "● connected")
	pid, lab := demoProcess(t, s)
	var dir string
	for _, child := range children(pid) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(child), "cmdline"))
		if m := regexp.MustCompile(`/\S*/re6st-netlab-\w+-demo-\d+`).Find(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})); m != nil {
			dir = string(m)
		}
	}
	if dir == "" {
		t.Fatalf("no node of the demo %d names its directory", pid)
	}
	s.tmux("kill-session", "-t", s.session)
	netlab.WaitFor(t, time.Minute, "the demo gone, with its network and directory", func() error {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			return fmt.Errorf("the demo %d still runs", pid)
		}
		if left, _ := filepath.Glob("/run/netns/" + netlab.Namespace(lab, "*")); len(left) > 0 {
			return fmt.Errorf("namespaces left: %v", left)
		}
		if _, err := os.Stat(dir); err == nil {
			return fmt.Errorf("%s is still there", dir)
		}
		return nil
	})
}

// startDemo runs `re6st-tui demo --nodes 3`, as installed, in a tmux
// session of 120×36, removed when the test ends.
func startDemo(t testing.TB) *tmuxScreen {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: apt-get install tmux (.ci/install does)")
	}
	bin := buildCommands(t)
	s := &tmuxScreen{t: t, session: fmt.Sprintf("re6st-tui-demo-%d", os.Getpid())}
	cmd := "cd " + t.TempDir() + " && env TERM=xterm-256color " + filepath.Join(bin, "re6st-tui") + " demo --nodes 3; echo exited $?; sleep 60"
	s.tmux("new-session", "-d", "-s", s.session, "-x", "120", "-y", "36", cmd)
	t.Cleanup(func() {
		if s.alive() {
			exec.Command("tmux", "kill-session", "-t", s.session).Run()
		}
	})
	return s
}

// defaultRouteFix uses the banner of the demo's default-route conflict on
// h2: F shows the exact route, y adds it (checked in h2's namespace and in
// the routes tab), U and y take it away, leaving h2's routes as before.
func defaultRouteFix(t *testing.T, s *tmuxScreen) {
	t.Helper()
	s.wantWithin(time.Minute, "⚠ F fix · U revert │ default route via "+demo.Upstream+" dev eth0")
	ns := demoNamespace(t, s, "h2")
	before := underlayRoutes(t, ns)
	s.keys("F")
	s.want("Apply the default-route fix?", "ip -6 route add default via ")
	m := regexp.MustCompile(`ip -6 route add (default via \S+ dev \S+ proto static metric \d+)`).FindStringSubmatch(s.screen())
	if m == nil {
		t.Fatalf("the fix does not show its route:\n%s", s.screen())
	}
	route := m[1]
	t.Logf("the fix shows %s", route)
	s.keys("y")
	s.want("apply fix re6st-default: done", "✓ U revert │ fix in effect: route all traffic through re6st")
	// The route shown, unless re6st's own default moved to another next
	// hop meanwhile (the demo's network has only just formed): the fix
	// follows it.
	metric := route[strings.LastIndex(route, " metric "):]
	netlab.WaitFor(t, 15*time.Second, "the fix's route in h2's namespace", func() error {
		out := ipIn(t, ns, "-6", "route", "show", "default")
		installed := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, " proto static") && strings.Contains(l, metric+" ") && !strings.Contains(l, " from ") {
				installed = strings.TrimSpace(l)
			}
		}
		if installed == "" {
			return fmt.Errorf("no route like %q in:\n%s", route, out)
		}
		if !strings.HasPrefix(installed, route) {
			re6st := ipIn(t, ns, "-6", "route", "show", "default", "from", demo.Network)
			if netlab.NextHop(re6st) != netlab.NextHop(installed) {
				return fmt.Errorf("installed %q, shown %q, and re6st's default is %q", installed, route, re6st)
			}
			t.Logf("re6st's default moved since the fix was shown; the fix followed it: %s", installed)
			route = installed[:strings.Index(installed, metric)+len(metric)]
		}
		return nil
	})
	s.keys("2")
	f := strings.Fields(route) // default via V dev D proto static metric M
	row := regexp.MustCompile(`default +- +` + regexp.QuoteMeta(f[2][:min(len(f[2]), 16)]) + `\S* +` + regexp.QuoteMeta(f[4]) + ` +static +` + f[8] + ` `)
	netlab.WaitFor(t, 15*time.Second, "the fix's route in the routes tab", func() error {
		if screen := s.screen(); !row.MatchString(screen) {
			return fmt.Errorf("no row like %s in:\n%s", row, screen)
		}
		return nil
	})
	s.keys("U")
	s.want("Revert the default-route fix?", "This undoes it with:", "ip -6 route del "+route)
	s.keys("y")
	s.want("revert fix re6st-default: done", "⚠ F fix · U revert")
	if after := underlayRoutes(t, ns); after != before {
		t.Fatalf("h2's routes after the revert:\n%s\nbefore:\n%s", after, before)
	}
}

// demoNamespace finds the namespace of a host of the demo running in s.
func demoNamespace(t testing.TB, s *tmuxScreen, host string) string {
	t.Helper()
	_, lab := demoProcess(t, s)
	return netlab.Namespace(lab, host)
}

// demoProcess finds the demo running in s, the child of the pane's shell
// that owns a lab, and returns its pid and its lab's id.
func demoProcess(t testing.TB, s *tmuxScreen) (int, string) {
	t.Helper()
	shell, err := strconv.Atoi(strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.session, "#{pane_pid}")))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range children(shell) {
		if labs := netlab.LabsOwnedBy(pid); len(labs) == 1 {
			return pid, labs[0]
		}
	}
	t.Fatalf("no lab owned by a child of the tmux pane's shell %d", shell)
	return 0, ""
}

// children lists the processes whose parent is pid.
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut after ')'.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, child)
		}
	}
	return out
}

func ipIn(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// underlayRoutes are a namespace's routes that are not re6st's: Babel's
// and the taps' come and go with the overlay.
func underlayRoutes(t *testing.T, ns string) string {
	var keep []string
	for _, l := range strings.Split(ipIn(t, ns, "-6", "route", "show"), "\n") {
		if l != "" && !strings.Contains(l, "proto babel") && !strings.Contains(l, "dev re6stnet") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// hostDefaults are this machine's own default routes, which the demo must
// never touch.
func hostDefaults(t *testing.T) string {
	var b strings.Builder
	for _, fam := range []string{"-4", "-6"} {
		out, err := exec.Command("ip", fam, "route", "show", "default").CombinedOutput()
		if err != nil {
			t.Fatalf("ip %s route: %v\n%s", fam, err, out)
		}
		b.Write(out)
	}
	return b.String()
}
