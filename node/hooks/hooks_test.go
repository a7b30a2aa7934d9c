package hooks

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

var env = Env{
	IP:      netip.MustParseAddr("2001:db8:42:1::1"),
	Iface:   "lo",
	Subnet:  netip.MustParsePrefix("2001:db8:42:1::/64"),
	Network: netip.MustParsePrefix("2001:db8:42::/48"),
}

var quiet = slog.New(slog.DiscardHandler)

func TestUpSeesTheEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	err := Up(context.Background(), env, `echo "$re6stnet_ip $re6stnet_iface $re6stnet_subnet $re6stnet_network" > `+out, quiet)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != "2001:db8:42:1::1 lo 2001:db8:42:1::/64 2001:db8:42::/48" {
		t.Errorf("env = %q", got)
	}
}

func TestUpFailureStops(t *testing.T) {
	err := Up(context.Background(), env, "echo no route; exit 3", quiet)
	if err == nil || !strings.Contains(err.Error(), "no route") {
		t.Errorf("error %v, want the command's output", err)
	}
}

func TestDaemonsStopEvenWhenTheyIgnoreTERM(t *testing.T) {
	dir := t.TempDir()
	d, err := StartDaemons(env, []string{
		"sleep 300",
		"trap '' TERM; touch " + filepath.Join(dir, "ready") + "; while :; do sleep 0.05; done",
	}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	netlab.WaitFor(t, 5*time.Second, "the TERM-ignoring daemon to start", func() error {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err
	})
	d.Stop() // returns only once both are reaped
	for _, c := range d.cmds {
		if c.ProcessState == nil {
			t.Error("a daemon was not reaped")
		}
	}
}
