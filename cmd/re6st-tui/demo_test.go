package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"re6st-tui/node/netlab"
)

// TestLabDemoCheck runs `re6st-tui demo --check` as a person would, with
// the other commands installed beside it, and checks that the network
// formed and that nothing of it remains afterwards.
func TestLabDemoCheck(t *testing.T) {
	netlab.Require(t)
	bin := buildCommands(t)
	cmd := exec.Command(filepath.Join(bin, "re6st-tui"), "demo", "--check", "--nodes", "3")
	cmd.Dir = t.TempDir() // not the source tree: the installed commands are used
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo --check: %v\n%s", err, out)
	}
	for _, want := range []string{"2001:db8:42::1", "every node reaches every other over the overlay"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, rest, ok := strings.Cut(string(out), "namespaces ")
	prefix, _, _ := strings.Cut(rest, "-*")
	if !ok || !strings.HasPrefix(prefix, "r6l") {
		t.Fatalf("the demo does not name its namespaces:\n%s", out)
	}
	left, _ := os.ReadDir("/run/netns")
	for _, e := range left {
		if strings.HasPrefix(e.Name(), prefix+"-") {
			t.Errorf("namespace %s left after the demo", e.Name())
		}
	}
}

// buildCommands builds re6st-tui and the commands the demo runs into one
// directory, as `go install ./cmd/...` would, and returns it.
func buildCommands(t testing.TB) string {
	t.Helper()
	bin := t.TempDir()
	for _, cmd := range []string{"re6st-tui", "re6st-registry", "re6st-conf", "re6stnet"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, cmd), "re6st-tui/cmd/"+cmd).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	return bin
}

// TestDemoArgs: the demo's options reach its configuration; the classic
// default-route conflict is on unless --conflict=false.
func TestDemoArgs(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		nodes    int
		conflict bool
		check    bool
		show     int
		err      string
	}{
		{nil, 4, true, false, 2, ""},
		{[]string{"--conflict=false"}, 4, false, false, 2, ""},
		{[]string{"--nodes", "3", "--check", "--conflict=false"}, 3, false, true, 2, ""},
		{[]string{"--nodes", "6", "--show", "6"}, 6, true, false, 6, ""},
		{[]string{"--show", "5"}, 0, false, false, 0, "pick a node from 1 to 4"},
		{[]string{"--nodes", "0"}, 0, false, false, 0, "at least one node"},
		{[]string{"--conflict", "false"}, 0, false, false, 0, `--conflict=false`},
	} {
		a, err := parseDemo(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %v, want an error saying %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || a.cfg.Nodes != tc.nodes || a.cfg.Conflict != tc.conflict || a.check != tc.check || a.show != tc.show || a.cfg.Bin == nil {
			t.Errorf("%q: %+v %v, want %d nodes, conflict %v, check %v, show %d", tc.args, a, err, tc.nodes, tc.conflict, tc.check, tc.show)
		}
	}
}
