package main

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"re6st-tui/node"
	"re6st-tui/ui/fake"
)

// TestNodeRestartEndsTheDashboardForARestart: when the node stops to
// start over, the dashboard gives the terminal back and main is told to
// run re6st-tui again on the node's directory.
func TestNodeRestartEndsTheDashboardForARestart(t *testing.T) {
	eng := fake.New(fake.Typical(time.Now()))
	err := runDashboard(context.Background(), eng, func(context.Context) error { return node.ErrRestart },
		tea.WithInput(nil), tea.WithOutput(io.Discard))
	r, ok := errors.AsType[*restartError](restartOf(err, "/etc/re6stnet"))
	if !ok || r.dir != "/etc/re6stnet" || !errors.Is(r, node.ErrRestart) {
		t.Fatalf("dashboard ended with %v, want a restart of /etc/re6stnet", err)
	}
	if err := restartOf(errors.New("boom"), "/etc/re6stnet"); errors.Is(err, node.ErrRestart) {
		t.Fatalf("another error taken for a restart: %v", err)
	}
}
