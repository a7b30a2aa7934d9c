package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

func TestStatusJSON(t *testing.T) {
	var buf bytes.Buffer
	want := fake.New(fake.Typical(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))).Snapshot()
	if err := writeJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	var got state.State
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("status --json is not a State: %v", err)
	}
	if got.Identity != want.Identity || len(got.Kernel) != len(want.Kernel) || len(got.Tunnels) != len(want.Tunnels) {
		t.Fatalf("round trip lost data: identity %+v, %d kernel routes", got.Identity, len(got.Kernel))
	}
	if !reflect.DeepEqual(got.Findings, want.Findings) || !strings.Contains(buf.String(), `"change": "ip -6 route add default via`) {
		t.Fatalf("findings lost: %+v", got.Findings)
	}
}

func TestStatusSummary(t *testing.T) {
	var buf bytes.Buffer
	if err := writeSummary(&buf, fake.Typical(time.Now())); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ipv4 198.19.128.1/25 (198.19.128.0/17)", "tunnels 8 up of 8", "fail Default route: eth0 ignores router advertisements"} {
		if !strings.Contains(buf.String(), want) {
			t.Fatalf("summary lacks %q: %s", want, buf.String())
		}
	}
	eng := fake.New(fake.Typical(time.Now()))
	if err := eng.ApplyFix(context.Background(), "accept-ra-2:eth0"); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	writeSummary(&buf, eng.Snapshot())
	if want := "fix accept-ra-2:eth0 in force: set net.ipv6.conf.eth0.accept_ra=2"; !strings.Contains(buf.String(), want) {
		t.Fatalf("summary lacks %q: %s", want, buf.String())
	}
}

func TestArgs(t *testing.T) {
	configured := t.TempDir()
	if err := os.WriteFile(filepath.Join(configured, "re6stnet.conf"), []byte("registry http://198.18.0.10/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"status", "--json", "--attach", filepath.Join(t.TempDir(), "none.sock")}); err == nil || !strings.Contains(err.Error(), "start re6stnet") {
		t.Errorf("status without a node: %v", err)
	}
	if err := run([]string{"--fake", "bogus"}); err == nil || !strings.Contains(err.Error(), "unknown argument") {
		t.Errorf("stray argument: %v", err)
	}
	// Tests run without a terminal: both screens say so and what to use.
	for _, args := range [][]string{{"--fake"}, {"enroll", "--fake"}, {"--dir", t.TempDir()}, {"--dir", configured}, {"--attach", "x.sock"}} {
		if err := run(args); err == nil || !strings.Contains(err.Error(), "needs a terminal") {
			t.Errorf("run(%q) without a terminal = %v", args, err)
		}
	}
}

// TestHelp: -h prints the synopsis of every subcommand, and is no error
// to main.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"status", "-h"}, {"doctor", "-h"}, {"demo", "-h"}, {"enroll", "-h"}} {
		if err := run(args); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v, want flag.ErrHelp", args, err)
		}
	}
	if !strings.Contains(usage, "re6st-tui demo [--nodes N]") || !strings.Contains(usage, "re6st-tui doctor [--json]") {
		t.Errorf("the synopsis lacks subcommands:\n%s", usage)
	}
}
