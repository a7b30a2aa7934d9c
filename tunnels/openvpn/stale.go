package openvpn

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PidFile is where the child named name writes its pid (--writepid).
func PidFile(dir, name string) string { return filepath.Join(dir, name+".pid") }

// CleanStale kills openvpn processes left by a previous run that used dir:
// those whose pid file is in dir and whose command line still names that
// pid file (so a recycled pid is never killed). It returns the pids killed.
func CleanStale(dir string, log *slog.Logger) ([]int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.pid"))
	if err != nil {
		return nil, err
	}
	var killed []int
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			_ = os.Remove(f)
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(cmdline, []byte(f)) && bytes.Contains(cmdline, []byte("openvpn")) {
			// Each child leads its own group: kill the group.
			if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("kill stale openvpn %d: %w", pid, err))
				continue
			}
			log.Info("stale openvpn killed", "pid", pid, "source", f)
			killed = append(killed, pid)
		}
		_ = os.Remove(f)
	}
	return killed, errors.Join(errs...)
}

// WaitGone waits until every pid has exited (zombies count as gone).
func WaitGone(pids []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				return fmt.Errorf("openvpn %d still alive after SIGKILL", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// Field 3, after the parenthesised command name, is the state.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}
