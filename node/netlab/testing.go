package netlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// EnvVar turns lab tests on. Under it a lab test that cannot run fails
// instead of skipping.
const EnvVar = "RE6ST_LAB"

// Require skips the test unless RE6ST_LAB is set, and fails it when the lab
// is wanted but this machine cannot build one.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVar) == "" {
		t.Skip("lab test: builds network namespaces; run as root with RE6ST_LAB=1 (as .ci/run does)")
	}
	if err := CanRun(); err != nil {
		t.Fatalf("RE6ST_LAB is set but the lab cannot run: %v", err)
	}
}

// CanRun reports why this machine cannot build labs, or nil.
func CanRun() error {
	if os.Geteuid() != 0 {
		return errors.New("needs root (network namespaces, veth, routes): run as root")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: install iproute2 and nftables (.ci/install does)", tool)
		}
	}
	return nil
}

// New builds a lab for a test and removes it when the test ends, whether it
// passes, fails or panics.
func New(t testing.TB, cfg Config) *Lab {
	t.Helper()
	Require(t)
	l, err := Build(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close lab %s: %v", l.id, err)
		}
	})
	return l
}
