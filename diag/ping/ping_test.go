package ping

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

func TestPingLoopbackStreams(t *testing.T) {
	ch := make(chan Stats, 100)
	st, err := Run(context.Background(), Config{Dst: netip.MustParseAddr("::1"), Count: 3, Interval: 10 * time.Millisecond}, ch)
	if errors.Is(err, ErrNotPermitted) {
		t.Skipf("no ICMP socket for this user: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	close(ch)
	n := 0
	for range ch {
		n++
	}
	if st.Sent != 3 || st.Received != 3 || st.Loss != 0 || st.Min > st.Avg || st.Avg > st.Max || st.Last == 0 {
		t.Fatalf("stats %+v", st)
	}
	if n != 6 { // 3 sends + 3 replies
		t.Errorf("%d updates, want 6", n)
	}
}

func TestPingNeedsDestination(t *testing.T) {
	if _, err := Run(context.Background(), Config{}, nil); err == nil {
		t.Fatal("no error")
	}
}

func TestLabPing(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 2})
	h1, h2 := l.Host("h1"), l.Host("h2")
	t.Run("reachable", func(t *testing.T) {
		var st Stats
		err := h1.Do(func() (err error) {
			st, err = Run(context.Background(), Config{Dst: h2.IPv6, Src: h1.IPv6, Count: 3, Interval: 20 * time.Millisecond}, nil)
			return err
		})
		if err != nil || st.Received != 3 {
			t.Fatalf("%+v %v", st, err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		var st Stats
		err := h1.Do(func() (err error) {
			// In the lab's /64 but nobody has it: every request is lost.
			st, err = Run(context.Background(), Config{Dst: netip.MustParseAddr("2001:db8:ff00::99"), Count: 2, Interval: 20 * time.Millisecond}, nil)
			return err
		})
		if err != nil || st.Sent != 2 || st.Received != 0 || st.Loss != 100 {
			t.Fatalf("%+v %v", st, err)
		}
	})
}
