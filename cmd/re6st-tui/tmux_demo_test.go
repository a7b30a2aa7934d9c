package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// TestLabTmuxDemo runs `re6st-tui demo` in tmux, as the README says, and
// uses the dashboard on a real network: every tab, killing a tunnel, a
// trace to another node, and quitting, which removes the network.
func TestLabTmuxDemo(t *testing.T) {
	netlab.Require(t)
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
	s.wantWithin(2*time.Minute, "● connected", "2001:db8:42:1::/64", "re6stnet")
	s.keys("2")
	s.want("DESTINATION", "2001:db8:42::/48")
	s.keys("3")
	s.want("RXCOST", "re6stnet")
	s.keys("4")
	s.want("node started")
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
}
