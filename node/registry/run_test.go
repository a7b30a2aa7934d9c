package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// TestRunHousekeeping lets the timer loop find a token past the grace
// period (on a fake clock) and delete it.
func TestRunHousekeeping(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Now = clk.Now
	cfg.GracePeriod = time.Hour
	r := openTest(t, cfg)
	mustIssue(t, r, "", nodeKey(0))
	tok, err := r.AddToken("x@example.com", "", true)
	if err != nil {
		t.Fatal(err)
	}
	if due := r.NextHousekeeping(); !due.Equal(time.Unix(clk.Now().Unix(), 0).Add(time.Hour)) && !due.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("next housekeeping %v", due)
	}
	clk.Add(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	netlab.WaitFor(t, 10*time.Second, "housekeeping to delete the expired token", func() error {
		if ok, _ := r.IsToken(tok); ok {
			return errors.New("token still there")
		}
		return nil
	})
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
