package ping

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// Config says what to ping.
type Config struct {
	Dst      netip.Addr    // required; IPv6 or IPv4
	Src      netip.Addr    // source address; zero lets the kernel choose
	Count    int           // requests to send; 0 until ctx ends
	Interval time.Duration // between requests, default 1s
	Size     int           // payload bytes, default 56 (at least 24: pro-bing's tracker)
}

// Stats are the running statistics, sent after each request and reply.
type Stats struct {
	Dst        netip.Addr
	Sent       int
	Received   int
	Duplicates int
	Loss       float64 // percent
	Last       time.Duration
	Min        time.Duration
	Avg        time.Duration
	Max        time.Duration
	StdDev     time.Duration
}

// ErrNotPermitted reports that neither a raw ICMP socket nor an
// unprivileged ICMP socket could be opened.
var ErrNotPermitted = errors.New("ping not permitted: run as root, grant CAP_NET_RAW, or allow your group in net.ipv4.ping_group_range")

// Run pings until Count requests were answered or timed out, or ctx ends,
// and returns the final statistics. updates (when not nil) gets a copy of
// the statistics after every request and every reply; Run blocks on it.
func Run(ctx context.Context, cfg Config, updates chan<- Stats) (Stats, error) {
	if !cfg.Dst.IsValid() {
		return Stats{}, errors.New("ping: no destination address: give one such as 2001:db8::1")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Size <= 0 {
		cfg.Size = 56
	}
	// Datagram ICMP sockets first, as iputils ping does: the kernel
	// delivers each socket its own replies, where a raw socket needs a
	// BPF filter attached per pinger. Raw only when ping_group_range
	// excludes us and we have CAP_NET_RAW.
	st, err := run(ctx, cfg, false, updates)
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		st, err = run(ctx, cfg, true, updates)
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return st, fmt.Errorf("ping %v: %w", cfg.Dst, ErrNotPermitted)
		}
	}
	if err != nil {
		return st, fmt.Errorf("ping %v: %w", cfg.Dst, err)
	}
	return st, nil
}

func run(ctx context.Context, cfg Config, privileged bool, updates chan<- Stats) (Stats, error) {
	p := probing.New(cfg.Dst.String())
	p.SetPrivileged(privileged)
	p.Count = cfg.Count
	if p.Count == 0 {
		p.Count = -1
	}
	p.Interval = cfg.Interval
	p.Size = cfg.Size
	p.RecordRtts = false // running figures only; memory stays flat on long runs
	p.RecordTTLs = false
	if cfg.Src.IsValid() {
		p.Source = cfg.Src.String()
	}
	if cfg.Count > 0 {
		// Give the last request a moment more than the interval to come back.
		p.Timeout = time.Duration(cfg.Count)*cfg.Interval + 2*time.Second
	}
	var mu sync.Mutex // guards last
	var last time.Duration
	push := func() {
		if updates == nil {
			return
		}
		mu.Lock()
		s := convert(cfg.Dst, p.Statistics(), last)
		mu.Unlock()
		select {
		case updates <- s:
		case <-ctx.Done():
		}
	}
	p.OnSend = func(*probing.Packet) { push() }
	p.OnRecv = func(pkt *probing.Packet) {
		mu.Lock()
		last = pkt.Rtt
		mu.Unlock()
		push()
	}
	err := p.RunWithContext(ctx)
	mu.Lock()
	defer mu.Unlock()
	return convert(cfg.Dst, p.Statistics(), last), err
}

func convert(dst netip.Addr, s *probing.Statistics, last time.Duration) Stats {
	return Stats{
		Dst: dst, Sent: s.PacketsSent, Received: s.PacketsRecv, Duplicates: s.PacketsRecvDuplicates,
		Loss: s.PacketLoss, Last: last, Min: s.MinRtt, Avg: s.AvgRtt, Max: s.MaxRtt, StdDev: s.StdDevRtt,
	}
}
