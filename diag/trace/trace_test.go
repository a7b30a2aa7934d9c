package trace

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func constRTT(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func addrs(hops []Hop) string {
	var s []string
	for _, h := range hops {
		if a := h.Addr(); a.IsValid() {
			s = append(s, fmt.Sprintf("%d:%v", h.TTL, a))
		} else {
			s = append(s, fmt.Sprintf("%d:*", h.TTL))
		}
	}
	return strings.Join(s, " ")
}

func wantPath(length int, silent ...int) string {
	var s []string
	for ttl := 1; ttl <= length; ttl++ {
		switch {
		case ttl == length:
			s = append(s, fmt.Sprintf("%d:%v", ttl, testDst))
		case slices.Contains(silent, ttl):
			s = append(s, fmt.Sprintf("%d:*", ttl))
		default:
			s = append(s, fmt.Sprintf("%d:%v", ttl, hopAddr(ttl)))
		}
	}
	return strings.Join(s, " ")
}

func trace(t *testing.T, f *fakePath, cfg Config) ([]Hop, []Hop) {
	t.Helper()
	cfg.Dst, cfg.Src = testDst, testSrc
	ch := make(chan Hop, 1000)
	hops, err := (&Tracer{dial: f.dial}).Run(context.Background(), cfg, ch)
	if err != nil {
		t.Fatal(err)
	}
	close(ch)
	var ups []Hop
	for h := range ch {
		ups = append(ups, h)
	}
	return hops, ups
}

func TestTraceListsEveryHopInOrder(t *testing.T) {
	for _, mode := range []Mode{UDP, ICMP} {
		t.Run(mode.String(), func(t *testing.T) {
			f := newFakePath(5, constRTT(time.Millisecond))
			hops, ups := trace(t, f, Config{Mode: mode})
			if got, want := addrs(hops), wantPath(5); got != want {
				t.Fatalf("hops\n got %s\nwant %s", got, want)
			}
			if got := addrs(ups); got != wantPath(5) {
				t.Fatalf("streamed %s", got)
			}
			last := hops[len(hops)-1]
			if !last.Final || last.Probes[0].Kind != Reached {
				t.Errorf("last hop %+v: want final, reached", last)
			}
			for _, h := range hops {
				if h.Stats.Sent != 3 || h.Stats.Received != 3 || h.Stats.Loss != 0 {
					t.Errorf("hop %d stats %+v", h.TTL, h.Stats)
				}
			}
		})
	}
}

// Later hops answering first must not reorder the stream.
func TestStreamStaysInHopOrder(t *testing.T) {
	f := newFakePath(8, func(ttl int) time.Duration { return time.Duration(10-ttl) * 3 * time.Millisecond })
	_, ups := trace(t, f, Config{})
	for i, h := range ups {
		if h.TTL != i+1 {
			t.Fatalf("update %d is hop %d: %s", i, h.TTL, addrs(ups))
		}
	}
}

func TestSilentHopTimesOut(t *testing.T) {
	f := newFakePath(4, constRTT(time.Millisecond))
	f.silent[2] = true
	hops, _ := trace(t, f, Config{Timeout: 50 * time.Millisecond})
	if got, want := addrs(hops), wantPath(4, 2); got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	if s := hops[1].Stats; s.Loss != 100 || s.Received != 0 || hops[1].Probes[2].Kind != Lost {
		t.Errorf("silent hop %+v", hops[1])
	}
}

func TestUnreachableEndsThePath(t *testing.T) {
	f := newFakePath(9, constRTT(time.Millisecond))
	f.unreach[3] = 0 // no route
	hops, _ := trace(t, f, Config{})
	if len(hops) != 3 || !hops[2].Final || hops[2].Probes[0].Kind != Unreachable {
		t.Fatalf("got %s, last %+v", addrs(hops), hops[len(hops)-1])
	}
}

func TestRoundsAccumulateStats(t *testing.T) {
	f := newFakePath(3, func(ttl int) time.Duration { return time.Duration(ttl) * time.Millisecond })
	hops, ups := trace(t, f, Config{Rounds: 3, Interval: time.Millisecond})
	if len(ups) != 9 {
		t.Fatalf("%d updates, want 3 hops x 3 rounds", len(ups))
	}
	for _, h := range hops {
		s := h.Stats
		if h.Round != 3 || s.Sent != 9 || s.Received != 9 || s.Best > s.Avg || s.Avg > s.Worst || s.Best < time.Duration(h.TTL)*time.Millisecond {
			t.Errorf("hop %d round %d stats %+v", h.TTL, h.Round, s)
		}
	}
}

type fakeResolver map[string]string

func (r fakeResolver) LookupAddr(_ context.Context, a string) ([]string, error) {
	if n, ok := r[a]; ok {
		return []string{n + "."}, nil
	}
	return nil, errors.New("no name")
}

func TestReverseDNSArrivesAsUpdates(t *testing.T) {
	f := newFakePath(3, constRTT(time.Millisecond))
	res := fakeResolver{hopAddr(2).String(): "r2.example", testDst.String(): "dst.example"}
	hops, ups := trace(t, f, Config{Resolver: res})
	if hops[1].Responders[0].Name != "r2.example" || hops[2].Responders[0].Name != "dst.example" || hops[0].Responders[0].Name != "" {
		t.Fatalf("names: %+v", hops)
	}
	if len(ups) != 5 { // 3 hops + 2 names
		t.Errorf("%d updates, want 5", len(ups))
	}
}

// The whole path is probed at once, so a trace takes about one round trip
// to the farthest hop, not the sum of all.
func TestHopsAreProbedInParallel(t *testing.T) {
	f := newFakePath(30, constRTT(20*time.Millisecond))
	start := time.Now()
	hops, _ := trace(t, f, Config{})
	if len(hops) != 30 {
		t.Fatalf("%d hops", len(hops))
	}
	// Not a timing assertion: the fake counts what was in flight.
	if f.sent != 90 {
		t.Errorf("sent %d probes, want 90", f.sent)
	}
	t.Logf("30 hops in %v", time.Since(start))
}

func TestInFlightLimitsOutstandingProbes(t *testing.T) {
	f := newFakePath(10, constRTT(time.Millisecond))
	hops, _ := trace(t, f, Config{InFlight: 1})
	if got := addrs(hops); got != wantPath(10) {
		t.Fatal(got)
	}
}

func TestContextEndsTrace(t *testing.T) {
	f := newFakePath(5, constRTT(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Tracer{dial: f.dial}).Run(ctx, Config{Dst: testDst}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no-dst":   {},
		"ipv4-dst": {Dst: netip.MustParseAddr("198.18.0.1")},
		"mapped":   {Dst: netip.MustParseAddr("::ffff:198.18.0.1")},
		"hops":     {Dst: testDst, FirstHop: 5, MaxHops: 3},
		"port":     {Dst: testDst, Port: 65000},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Run(context.Background(), cfg, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPermissionErrorSaysWhatToDo(t *testing.T) {
	err := openError("::", &netOpError{syscall.EPERM})
	if !errors.Is(err, ErrRawSocket) || !strings.Contains(err.Error(), "CAP_NET_RAW") {
		t.Fatalf("err %v", err)
	}
	if err := openError("2001:db8::5", &netOpError{syscall.EADDRNOTAVAIL}); errors.Is(err, ErrRawSocket) || !strings.Contains(err.Error(), "not an address of this host") {
		t.Fatalf("err %v", err)
	}
}

type netOpError struct{ err error }

func (e *netOpError) Error() string { return "listen: " + e.err.Error() }
func (e *netOpError) Unwrap() error { return e.err }

func BenchmarkTrace30Hops(b *testing.B) {
	// 30 hops, 3 probes each, every hop answering after 10 ms + 2 ms per hop.
	rtt := func(ttl int) time.Duration { return 10*time.Millisecond + time.Duration(ttl)*2*time.Millisecond }
	for b.Loop() {
		f := newFakePath(30, rtt)
		hops, err := (&Tracer{dial: f.dial}).Run(context.Background(), Config{Dst: testDst}, nil)
		if err != nil || len(hops) != 30 {
			b.Fatalf("%d hops, %v", len(hops), err)
		}
	}
}

func TestSourceFor(t *testing.T) {
	network := netip.MustParsePrefix("2001:db8:42::/48")
	if got := SourceFor(testDst, network, testSrc); got != testSrc {
		t.Errorf("overlay target: %v", got)
	}
	if got := SourceFor(netip.MustParseAddr("2001:db8:ff00::1"), network, testSrc); got.IsValid() {
		t.Errorf("underlay target: %v", got)
	}
	if got := SourceFor(testDst, netip.Prefix{}, testSrc); got.IsValid() {
		t.Errorf("no network: %v", got)
	}
}

// A socket that dies mid-trace ends the trace with an error at once.
func TestSocketDeathEndsTrace(t *testing.T) {
	f := newFakePath(5, constRTT(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, err := (&Tracer{dial: f.dial}).Run(context.Background(), Config{Dst: testDst, Timeout: time.Hour}, nil)
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		sent := f.sent
		f.mu.Unlock()
		if sent > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	f.close()
	if err := <-done; !errors.Is(err, errClosed) {
		t.Fatalf("err %v", err)
	}
}

func TestUnroutableDestinationIsAnError(t *testing.T) {
	f := newFakePath(3, constRTT(time.Millisecond))
	f.sendErr = syscall.ENETUNREACH
	_, err := (&Tracer{dial: f.dial}).Run(context.Background(), Config{Dst: testDst}, nil)
	if !errors.Is(err, syscall.ENETUNREACH) || !strings.Contains(err.Error(), "route") {
		t.Fatalf("err %v", err)
	}
}

// In mtr mode, a path that grows between rounds is followed.
func TestRoundsFollowALongerPath(t *testing.T) {
	f := newFakePath(3, constRTT(time.Millisecond))
	ch := make(chan Hop)
	done := make(chan []Hop)
	go func() {
		hops, err := (&Tracer{dial: f.dial}).Run(context.Background(), Config{Dst: testDst, Rounds: 2, Interval: time.Millisecond}, ch)
		if err != nil {
			t.Error(err)
		}
		close(ch)
		done <- hops
	}()
	for h := range ch {
		if h.Round == 1 && h.TTL == 3 {
			f.mu.Lock()
			f.length = 5 // two more routers appear
			f.mu.Unlock()
		}
	}
	hops := <-done
	if got, want := addrs(hops), wantPath(5); got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}
