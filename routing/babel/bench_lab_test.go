package babel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
)

// buildSpeaker builds cmd/re6st-babel so the receiver is measured as its own process.
func buildSpeaker(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "re6st-babel")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/re6st-babel").CombinedOutput()
	if err != nil {
		b.Fatalf("build re6st-babel: %v\n%s", err, out)
	}
	return bin
}

// addRoutes adds n unreachable /64s under 2001:db8:1::/48 in h, proto static
// so that babeld redistributes them.
func addRoutes(b *testing.B, h *netlab.Host, n int) {
	b.Helper()
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "route add unreachable 2001:db8:1:%x::/64 proto static\n", i)
	}
	f := filepath.Join(b.TempDir(), "routes")
	if err := os.WriteFile(f, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	h.Run(b, "ip", "-6", "-batch", f)
}

func countBabelRoutes(h *netlab.Host) (int, error) {
	out, err := h.Command(context.Background(), "ip", "-6", "route", "show", "proto", "babel").Output()
	if err != nil {
		return 0, err
	}
	return strings.Count(string(out), "2001:db8:1:"), nil
}

// procUsage returns the CPU time and peak RSS of pid.
func procUsage(pid int) (time.Duration, int64) {
	stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	var cpu time.Duration
	if len(f) > 13 {
		u, _ := strconv.Atoi(f[11])
		s, _ := strconv.Atoi(f[12])
		cpu = time.Duration(u+s) * 10 * time.Millisecond // USER_HZ = 100
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	var rss int64
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			rss, _ = strconv.ParseInt(strings.Fields(l)[1], 10, 64)
		}
	}
	return cpu, rss * 1024
}

const senderConf = `router-id 02:00:00:00:00:00:00:01
redistribute local deny
redistribute ip 2001:db8:1::/48 ge 64 le 64
redistribute deny
interface eth0 type tunnel
`

// BenchmarkLabRoutes10k: babeld announces 10,000 routes; the receiver (babeld
// or ours) starts after them (cold) or is already up (warm). Reported: time
// until all are in the receiver's kernel, its CPU time and peak RSS.
// babeld 1.12 sends its table in answer to a wildcard request only 40 s after
// its last full update (it divides its Hello interval, kept in ms, by 100),
// so with 4 s Hellos a receiver that starts later waits for the sender's
// next periodic full update, 12 to 20 s after the last: from babeld, cold
// is bounded by that, whatever the receiver.
// Run: RE6ST_LAB=1 go test -run XXX -bench LabRoutes10k -benchtime 1x ./routing/babel/
func BenchmarkLabRoutes10k(b *testing.B) {
	const n = 10000
	bin := buildSpeaker(b)
	for _, pair := range []struct{ send, recv string }{{"babeld", "babeld"}, {"babeld", "ours"}, {"ours", "ours"}, {"ours", "babeld"}} {
		recv := pair.recv
		for _, mode := range []string{"cold", "warm"} {
			if pair.send == "ours" && mode == "warm" {
				continue // our sender's table is fixed at start (cmd flags)
			}
			b.Run(pair.send+"-to-"+recv+"/"+mode, func(b *testing.B) {
				for range b.N {
					lab := netlab.New(b, netlab.Config{Hosts: 2})
					h1, h2 := lab.Host("h1"), lab.Host("h2")
					dir := b.TempDir()
					start := func() *netlab.Process {
						var p *netlab.Process
						var err error
						if recv == "babeld" {
							cf := filepath.Join(dir, "r.conf")
							os.WriteFile(cf, []byte("router-id 02:00:00:00:00:00:00:02\nredistribute deny\ninterface eth0 type tunnel\n"), 0o600)
							p, err = h2.Start("babeld", "-c", cf, "-I", "", "-S", filepath.Join(dir, "r.state"), "-H", "4", "-g", filepath.Join(dir, "r.sock"))
						} else {
							args := []string{"-id", "02:00:00:00:00:00:00:02", "-i", "eth0:tunnel", "-hello", "4s", "-control", filepath.Join(dir, "r.sock"), "-debug=" + strconv.FormatBool(os.Getenv("BABEL_DEBUG") != "")}
							if dir := os.Getenv("BABEL_PROFILE_DIR"); dir != "" {
								// The receiver's CPU profile, written when it stops.
								args = append(args, "-cpuprofile", filepath.Join(dir, "receiver-"+mode+".prof"))
							}
							p, err = h2.Start(bin, args...)
						}
						if err != nil {
							b.Fatal(err)
						}
						return p
					}
					cf := filepath.Join(dir, "s.conf")
					os.WriteFile(cf, []byte(senderConf), 0o600)
					if mode == "cold" && pair.send == "babeld" {
						addRoutes(b, h1, n)
					}
					var sender *netlab.Process
					var err error
					if pair.send == "babeld" {
						sender, err = h1.Start("babeld", "-c", cf, "-I", "", "-S", filepath.Join(dir, "s.state"), "-H", "4", "-g", filepath.Join(dir, "s.sock"))
					} else {
						var sb strings.Builder
						for i := range n {
							fmt.Fprintf(&sb, "2001:db8:1:%x::/64\n", i)
						}
						xf := filepath.Join(dir, "x")
						os.WriteFile(xf, []byte(sb.String()), 0o600)
						sender, err = h1.Start(bin, "-id", "02:00:00:00:00:00:00:01", "-i", "eth0:tunnel", "-hello", "4s", "-xfile", xf, "-no-kernel", "-control", filepath.Join(dir, "o.sock"))
					}
					if err != nil {
						b.Fatal(err)
					}
					defer sender.Stop()
					var recvProc *netlab.Process
					var t0 time.Time
					if mode == "cold" {
						if pair.send == "babeld" {
							netlab.WaitFor(b, 30*time.Second, "sender exports every route", func() error {
								lines, err := (&babeld{sock: filepath.Join(dir, "s.sock")}).dump()
								if err != nil {
									return err
								}
								if got := len(lines); got < n {
									return fmt.Errorf("%d lines in the sender's dump", got)
								}
								return nil
							})
						} else {
							netlab.WaitFor(b, 30*time.Second, "sender is up", func() error {
								c, err := net.Dial("unix", filepath.Join(dir, "o.sock"))
								if err == nil {
									c.Close()
								}
								return err
							})
						}
						t0 = time.Now()
						recvProc = start()
					} else {
						recvProc = start()
						// Warm: the link works both ways before the routes appear.
						netlab.WaitFor(b, 30*time.Second, "sender and receiver use the link", func() error {
							bd := &babeld{sock: filepath.Join(dir, "s.sock")}
							if err := bd.has("neighbour", "txcost 96", "cost 96"); err != nil {
								return err
							}
							if recv == "babeld" {
								return (&babeld{sock: filepath.Join(dir, "r.sock")}).has("neighbour", "txcost 96", "cost 96")
							}
							return ourNeighbourUsable(filepath.Join(dir, "r.sock"))
						})
						t0 = time.Now()
						addRoutes(b, h1, n)
					}
					defer recvProc.Stop()
					b.ResetTimer()
					netlab.WaitFor(b, 120*time.Second, "all routes installed", func() error {
						got, err := countBabelRoutes(h2)
						if err != nil {
							return err
						}
						if got < n {
							return fmt.Errorf("%d of %d routes installed", got, n)
						}
						return nil
					})
					took := time.Since(t0)
					b.StopTimer()
					cpu, rss := procUsage(recvProc.Pid)
					if os.Getenv("BABEL_DEBUG") != "" {
						f := filepath.Join(os.TempDir(), "re6st-babel-receiver.log")
						os.WriteFile(f, []byte(recvProc.Output()), 0o600)
						b.Logf("receiver log: %s", f)
					}
					b.ReportMetric(took.Seconds(), "s/converge")
					b.ReportMetric(float64(cpu.Milliseconds()), "cpu-ms")
					b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
				}
			})
		}
	}
}

// ourNeighbourUsable asks re6st-babel's control socket whether it has a
// neighbour with a finite cost.
func ourNeighbourUsable(sock string) error {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	defer c.Close()
	var snap babel.Snapshot
	if err := json.NewDecoder(c).Decode(&snap); err != nil {
		return err
	}
	for _, n := range snap.Neighbours {
		if n.Cost < 0xFFFF {
			return nil
		}
	}
	return fmt.Errorf("no usable neighbour: %+v", snap.Neighbours)
}
