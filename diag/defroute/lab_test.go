package defroute

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"re6st-tui/diag/system"
	"re6st-tui/node/netlab"
)

// via returns the gateway `ip -6 route get` reports.
func via(t *testing.T, h *netlab.Host, args ...string) string {
	out := h.Run(t, "ip", append([]string{"-6", "route", "get"}, args...)...)
	f := strings.Fields(out)
	for i := range f[:len(f)-1] {
		if f[i] == "via" {
			return f[i+1]
		}
	}
	return "direct: " + out
}

func TestLabFixFollowsRe6stNextHop(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 4})
	h1, foreign, nh1, nh2 := l.Host("h1"), l.Host("h2").IPv6.String(), l.Host("h3").IPv6.String(), l.Host("h4").IPv6.String()
	const internet, overlay = "2001:db8:ffff::1", "2001:db8:42:1::1"
	h1.Run(t, "ip", "-6", "addr", "add", overlay+"/64", "dev", "lo", "nodad")
	h1.Run(t, "ip", "-6", "route", "add", "default", "via", foreign, "dev", "eth0")
	h1.Run(t, "ip", "-6", "route", "add", "default", "from", network.String(), "via", nh1, "dev", "eth0", "proto", "babel")
	table := func() string { return h1.Run(t, "ip", "-6", "route", "show", "table", "all") }
	before := table()
	if got := via(t, h1, internet); got != foreign {
		t.Fatalf("before the fix, plain traffic goes via %s, want the foreign %s", got, foreign)
	}

	k, err := system.Open(h1.NS)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	f, err := Start(context.Background(), k, Config{Network: network, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	wantVia := func(nh string) func() error {
		return func() error {
			for _, args := range [][]string{{internet}, {internet, "from", overlay}} {
				if got := via(t, h1, args...); got != nh {
					return fmt.Errorf("route get %v goes via %s, want %s", args, got, nh)
				}
			}
			return nil
		}
	}
	netlab.WaitFor(t, 10*time.Second, "plain and overlay traffic via re6st's next hop", wantVia(nh1))

	h1.Run(t, "ip", "-6", "route", "replace", "default", "from", network.String(), "via", nh2, "dev", "eth0", "proto", "babel")
	netlab.WaitFor(t, 10*time.Second, "the fix following the new next hop", wantVia(nh2))

	h1.Run(t, "ip", "-6", "route", "del", "default", "from", network.String())
	netlab.WaitFor(t, 10*time.Second, "the fix going away with re6st's default", func() error {
		if got := via(t, h1, internet); got != foreign {
			return fmt.Errorf("plain traffic via %s, want %s", got, foreign)
		}
		return nil
	})
	h1.Run(t, "ip", "-6", "route", "add", "default", "from", network.String(), "via", nh1, "dev", "eth0", "proto", "babel")
	netlab.WaitFor(t, 10*time.Second, "the fix coming back", wantVia(nh1))

	if err := f.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := table(); after != before {
		t.Fatalf("revert left\n%s\nwant\n%s", after, before)
	}
	if err := f.Err(); err != nil {
		t.Error(err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
