package netlab

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Poll calls cond until it returns nil, backing off from 10 ms to 250 ms
// between calls. It fails once timeout has passed (or ctx ends), naming what
// it waited for and cond's last error.
func Poll(ctx context.Context, timeout time.Duration, what string, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 10 * time.Millisecond
	start := time.Now()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waited %v for %s: %w", time.Since(start).Round(time.Millisecond), what, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 250*time.Millisecond)
	}
}

// WaitFor is Poll for tests: it fails the test when the condition is not
// met within timeout.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	if err := Poll(context.Background(), timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}
