package netlab

import (
	"fmt"
	"time"

	"github.com/prometheus/procfs"
)

// Usage is what a process has used so far, from /proc.
type Usage struct {
	CPU     time.Duration // user and system time
	RSS     int64         // resident bytes now
	PeakRSS int64         // the highest RSS so far (VmHWM)
}

// ProcessUsage reads pid's usage.
func ProcessUsage(pid int) (Usage, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return Usage{}, fmt.Errorf("process %d: %w", pid, err)
	}
	stat, err := p.Stat()
	if err != nil {
		return Usage{}, fmt.Errorf("process %d: %w", pid, err)
	}
	status, err := p.NewStatus()
	if err != nil {
		return Usage{}, fmt.Errorf("process %d: %w", pid, err)
	}
	return Usage{
		CPU:     time.Duration(stat.CPUTime() * float64(time.Second)),
		RSS:     int64(stat.ResidentMemory()),
		PeakRSS: int64(status.VmHWM),
	}, nil
}

// CPUShare samples pid over d and returns the share of one core it used.
func CPUShare(pid int, d time.Duration) (float64, error) {
	before, err := ProcessUsage(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	time.Sleep(d)
	after, err := ProcessUsage(pid)
	if err != nil {
		return 0, err
	}
	return float64(after.CPU-before.CPU) / float64(time.Since(start)), nil
}
