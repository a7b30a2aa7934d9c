package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// BenchmarkLabDashboardIdle measures what the dashboard and the node it
// shows cost while a person watches. `re6st-tui demo --nodes 3` runs in
// tmux, drawing on a terminal; once h2's node is connected and the
// conflict's banner is up, the re6st-tui process (the dashboard, attached
// to h2 over its control socket, and the demo around it) and h2's
// re6stnet (its OpenVPN children apart) are sampled from /proc over 30 s.
//
//	RE6ST_LAB=1 go test -run XXX -bench LabDashboardIdle -benchtime 1x ./cmd/re6st-tui
func BenchmarkLabDashboardIdle(b *testing.B) {
	netlab.Require(b)
	s := startDemo(b)
	s.wantWithin(2*time.Minute, "● connected", "⚠ F fix")
	tui, _ := demoProcess(b, s)
	node := nodeProcess(b, tui, "h2")
	time.Sleep(10 * time.Second) // let the start-up work end
	b.ResetTimer()
	for range b.N {
		var cpu [2]float64
		var errs [2]error
		var wg sync.WaitGroup
		for i, pid := range []int{tui, node} {
			wg.Go(func() { cpu[i], errs[i] = netlab.CPUShare(pid, 30*time.Second) })
		}
		wg.Wait()
		var rss [2]int64
		for i, pid := range []int{tui, node} {
			u, err := netlab.ProcessUsage(pid)
			if err != nil || errs[i] != nil {
				b.Fatal(err, errs[i])
			}
			rss[i] = u.RSS
		}
		var ovpn int64
		for _, pid := range children(node) {
			if u, err := netlab.ProcessUsage(pid); err == nil {
				ovpn += u.RSS
			}
		}
		b.ReportMetric(100*cpu[0], "%cpu-tui")
		b.ReportMetric(100*cpu[1], "%cpu-node")
		b.ReportMetric(100*(cpu[0]+cpu[1]), "%cpu-tui+node")
		b.ReportMetric(float64(rss[0])/(1<<20), "MB-rss-tui")
		b.ReportMetric(float64(rss[1])/(1<<20), "MB-rss-node")
		b.ReportMetric(float64(rss[0]+rss[1])/(1<<20), "MB-rss-tui+node")
		b.ReportMetric(float64(ovpn)/(1<<20), "MB-rss-openvpn")
	}
}

// nodeProcess finds the re6stnet of host among the demo's children: the
// one whose command line names the host's directory.
func nodeProcess(b testing.TB, demo int, host string) int {
	b.Helper()
	for _, pid := range children(demo) {
		cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(cmdline, []byte{0})
		if filepath.Base(string(args[0])) == "re6stnet" && bytes.Contains(cmdline, []byte("/"+host+"/")) {
			return pid
		}
	}
	b.Fatalf("no re6stnet of %s among the children of %d", host, demo)
	return 0
}
