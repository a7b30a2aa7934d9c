package openvpn

import (
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestStaleChild is not a test: run as a child by TestCleanStale, it
// stands for an openvpn left running by a previous run.
func TestStaleChild(t *testing.T) {
	if os.Getenv("OPENVPN_STALE_CHILD") == "" {
		t.Skip("child process of TestCleanStale")
	}
	time.Sleep(time.Minute)
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	pidfile := PidFile(dir, "re6stnet1")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleChild$", "openvpn", "--writepid", pidfile)
	cmd.Env = append(os.Environ(), "OPENVPN_STALE_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })
	write := func(name string, pid int) {
		if err := os.WriteFile(PidFile(dir, name), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("re6stnet1", cmd.Process.Pid)
	// A pid file whose pid is alive but not ours (this test) must be
	// ignored: its command line does not name the pid file.
	write("re6stnet2", os.Getpid())
	os.WriteFile(PidFile(dir, "junk"), []byte("x"), 0o600)

	killed, err := CleanStale(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(killed) != 1 || killed[0] != cmd.Process.Pid {
		t.Fatalf("killed %v, want [%d]", killed, cmd.Process.Pid)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("stale process still running 10 s after CleanStale")
	}
	for _, n := range []string{"re6stnet1", "re6stnet2", "junk"} {
		if _, err := os.Stat(PidFile(dir, n)); !os.IsNotExist(err) {
			t.Errorf("pid file %s left: %v", n, err)
		}
	}
}
