package openvpn

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A child that dies before reaching the management interface is an error
// that carries what it printed.
func TestStartChildExits(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	_, err = Start(context.Background(), Spec{
		Name: "re6stnet1", Path: sh, Dir: t.TempDir(), StartTimeout: 30 * time.Second,
		Args: []string{"-c", "echo Options error: --cert fails with 'x.crt': No such file or directory; exit 1"},
	})
	if err == nil || !strings.Contains(err.Error(), "it exited") || !strings.Contains(err.Error(), "x.crt") {
		t.Fatalf("Start of a failing child: %v; want it exited with its output", err)
	}
}

func TestStartSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	_, err := Start(context.Background(), Spec{Name: "re6stnet1", Path: "openvpn", Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "shorter run directory") {
		t.Fatalf("long socket path: %v", err)
	}
}
