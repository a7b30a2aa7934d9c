package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/node/registry"
)

// tmuxScreen drives the real binary in a detached tmux session: keys in,
// screen text out, as a person would see it.
type tmuxScreen struct {
	t       testing.TB
	session string
}

func (s *tmuxScreen) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxScreen) keys(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.session}, keys...)...)
}

// want polls the screen until it shows every text, or fails with the
// last screen after a deadline.
func (s *tmuxScreen) want(texts ...string) {
	s.t.Helper()
	s.wantWithin(15*time.Second, texts...)
}

// wantWithin polls the screen until it shows every text, or fails with
// the last screen after d.
func (s *tmuxScreen) wantWithin(d time.Duration, texts ...string) {
	s.t.Helper()
	netlab.WaitFor(s.t, d, fmt.Sprintf("screen showing %q", texts), func() error {
		screen := s.tmux("capture-pane", "-p", "-t", s.session)
		for _, t := range texts {
			if !strings.Contains(screen, t) {
				return fmt.Errorf("no %q in:\n%s", t, screen)
			}
		}
		return nil
	})
}

// screen is what the pane shows now.
func (s *tmuxScreen) screen() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.session)
}

func (s *tmuxScreen) alive() bool {
	return exec.Command("tmux", "has-session", "-t", s.session).Run() == nil
}

// startTmux builds the binary and runs it with args in a new 100×30
// tmux session, removed at the end of the test.
func startTmux(t *testing.T, name string, args ...string) *tmuxScreen {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: apt-get install tmux to run this end-to-end test")
	}
	bin := filepath.Join(t.TempDir(), "re6st-tui")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := &tmuxScreen{t: t, session: fmt.Sprintf("re6st-tui-test-%s-%d", name, os.Getpid())}
	// The shell keeps the pane open after the program ends, to read its
	// last words; "exited" marks the end.
	cmd := "env TERM=xterm-256color " + bin + " " + strings.Join(args, " ") + "; echo exited $?; sleep 60"
	s.tmux("new-session", "-d", "-s", s.session, "-x", "100", "-y", "30", cmd)
	t.Cleanup(func() {
		if s.alive() {
			exec.Command("tmux", "kill-session", "-t", s.session).Run()
		}
	})
	return s
}

// TestTmuxFakeDashboard visits every tab of `re6st-tui --fake`, kills a
// tunnel, applies and reverts the default-route fix, traces, and quits.
func TestTmuxFakeDashboard(t *testing.T) {
	s := startTmux(t, "dash", "--fake")
	s.want("re6st-tui", "● connected", "[1 Peers 8]", "2001:db8:42:2::/64")
	s.keys("2")
	s.want("[2 Routes", "conflict", "DESTINATION")
	s.keys("3")
	s.want("[3 Babel", "[neighbours 8]")
	s.keys("Right")
	s.want("[routes 69]", "1 installed Babel route is missing from the kernel")
	s.keys("4")
	s.want("[4 Logs]", "following")
	s.keys("1", "x")
	s.want("Kill tunnel re6stnet1?")
	s.keys("y")
	s.want("kill tunnel re6stnet1: done", "[1 Peers 7]")
	s.keys("F")
	s.want("Fix the default route", "accept_ra=2")
	s.keys("1")
	s.want("fix in effect: set net.ipv6.conf.eth0.accept_ra=2")
	s.keys("U")
	s.want("This undoes it with:", "sysctl -w net.ipv6.conf.eth0.accept_ra=1")
	s.keys("y")
	s.want("F fix · U revert")
	s.keys("5", "Enter")
	s.tmux("send-keys", "-t", s.session, "-l", "2001:db8:42:6::1")
	s.keys("Enter")
	s.want("trace to 2001:db8:42:6::1", "running", "2001:db8:42:1f::1")
	s.keys("q")
	s.want("exited 0")
}

// TestTmuxWizard enrolls with our registry through the wizard, as a first
// run without configuration does: anonymously, then with a token read
// from the registry's mbox.
func TestTmuxWizard(t *testing.T) {
	t.Run("anonymous", func(t *testing.T) {
		url, _ := startRegistry(t, true)
		dir := t.TempDir()
		s := startTmux(t, "anon", "--dir", dir, "--no-start")
		s.want("step 1 of 6", "registry URL")
		s.typeText(url)
		s.keys("Enter")
		s.want("SHA-256", "2001:db8:42::/48")
		s.keys("y")
		s.want("How do you join?")
		s.keys("a")
		s.want("Certificate received.", "prefix   2001:db8:42")
		s.keys("Enter")
		s.want("Configuration written:", filepath.Join(dir, "re6stnet.conf"))
		s.keys("Enter")
		s.want("enrolled: start the node with re6st-tui --dir", "exited 0")
		for _, f := range []string{"ca.crt", "cert.crt", "cert.key", "re6stnet.conf"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("not written: %v", err)
			}
		}
	})
	t.Run("token", func(t *testing.T) {
		url, mbox := startRegistry(t, false)
		s := startTmux(t, "token", "enroll", "--dir", t.TempDir(), "--registry", url, "--no-start")
		s.want("registry URL: " + url)
		s.keys("Enter")
		s.want("SHA-256")
		s.keys("y", "a")
		s.want("Something went wrong", "does not accept anonymous nodes", "ask its")
		s.keys("Escape")
		s.want("How do you join?")
		s.keys("e")
		s.typeText("me@example.net")
		s.keys("Enter")
		s.want("A token was sent to me@example.net")
		var token string
		netlab.WaitFor(t, 10*time.Second, "a token in the mbox", func() error {
			f, err := os.Open(mbox)
			if err != nil {
				return err
			}
			defer f.Close()
			toks, err := registry.TokensFromMbox(f)
			if err != nil || len(toks) != 1 {
				return fmt.Errorf("tokens %v: %v", toks, err)
			}
			token = toks[0].Token
			return nil
		})
		s.typeText(token)
		s.keys("Enter")
		s.want("Certificate received.")
		s.keys("Enter")
		s.want("Configuration written:")
	})
}

func (s *tmuxScreen) typeText(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.session, "-l", text)
}
