package node

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/config"
	"re6st-tui/node/state"
)

// TestFixesSurviveARestart: a fix in force when the node restarts for a
// new network configuration is reverted as the node stops, then applied
// again by the next run once its check offers it; a plain stop hands
// nothing on.
func TestFixesSurviveARestart(t *testing.T) {
	k := conflictHost()
	before := k.String()
	dir := t.TempDir()
	run := func() (*Node, *published, func()) {
		c, p := newTestCheckup(k)
		p.sets = make(chan struct{}, 1)
		n := &Node{cfg: &config.Node{StateDir: dir}, log: slog.New(slog.DiscardHandler), checks: c}
		var undo []func()
		n.runChecks(&undo)
		return n, p, func() {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}

	n, p, stop := run()
	<-p.first
	if err := n.checks.apply(t.Context(), "re6st-default"); err != nil {
		t.Fatal(err)
	}
	applied := k.String()
	n.restarting = true
	stop()
	if got := k.String(); got != before {
		t.Fatalf("the restart did not revert the fix:\n%s", got)
	}

	n, p, stop = run()
	<-p.first
	for f := p.finding(t, state.CheckDefaultRoute); !isApplied(f, "re6st-default"); f = p.finding(t, state.CheckDefaultRoute) {
		<-p.sets
	}
	if got := k.String(); got != applied {
		t.Fatalf("after the restart\n%s\nwant\n%s", got, applied)
	}
	stop() // a plain stop: reverted, and not handed on
	if got := k.String(); got != before {
		t.Fatalf("the stop did not revert the fix:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, reapplyFile)); !os.IsNotExist(err) {
		t.Fatalf("a plain stop left %s: %v", reapplyFile, err)
	}
}

func isApplied(f state.Finding, id string) bool {
	fx, ok := f.Applied()
	return ok && fx.ID == id
}

func TestTakeReapply(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if ids, err := takeReapply(dir, now); ids != nil || err != nil {
		t.Fatalf("no file: %v %v", ids, err)
	}
	for _, tc := range []struct {
		name  string
		saved time.Time
		want  int
	}{{"fresh", now.Add(-time.Minute), 2}, {"stale", now.Add(-time.Hour), 0}, {"future", now.Add(time.Hour), 0}} {
		if err := saveReapply(dir, []string{"re6st-default", "accept-ra-2:eth0"}, tc.saved); err != nil {
			t.Fatal(err)
		}
		ids, err := takeReapply(dir, now)
		if err != nil || len(ids) != tc.want {
			t.Errorf("%s: %v %v, want %d fixes", tc.name, ids, err, tc.want)
		}
		if _, err := os.Stat(filepath.Join(dir, reapplyFile)); !os.IsNotExist(err) {
			t.Errorf("%s: the file is still there", tc.name)
		}
	}
	os.WriteFile(filepath.Join(dir, reapplyFile), []byte("{not json"), 0o600)
	if _, err := takeReapply(dir, now); err == nil || !strings.Contains(err.Error(), reapplyFile) {
		t.Errorf("a broken file: %v", err)
	}
}

func FuzzParseReapply(f *testing.F) {
	f.Add([]byte(`{"fixes":["re6st-default","accept-ra-2:eth0"],"saved":"2026-05-01T12:00:00Z"}`))
	f.Add([]byte(`{"fixes":[""]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseReapply(b)
		if err != nil {
			return
		}
		for _, id := range l.Fixes {
			if id == "" {
				t.Fatalf("accepted an empty fix id from %q", b)
			}
		}
	})
}
