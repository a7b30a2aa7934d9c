package netlab

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// Ping sends count ICMP or ICMPv6 echo requests from inside the host to dst
// (an address, "fe80::1%eth0" for link-local) one every 100 ms, and returns
// the statistics. It fails when no reply came back.
func (h *Host) Ping(ctx context.Context, dst string, count int) (*probing.Statistics, error) {
	return h.PingFrom(ctx, netip.Addr{}, dst, count)
}

// PingFrom is Ping with the echo requests sent from address src of the
// host (any address when src is the zero Addr), so that the replies
// follow the routes for that source.
func (h *Host) PingFrom(ctx context.Context, src netip.Addr, dst string, count int) (*probing.Statistics, error) {
	dst, err := h.numericZone(dst)
	if err != nil {
		return nil, err
	}
	var stats *probing.Statistics
	err = h.Do(func() error {
		// The pinger resolves the zone and opens its socket here, inside
		// the namespace; its goroutines then only use that socket.
		p, err := probing.NewPinger(dst)
		if err != nil {
			return err
		}
		// A datagram ICMP socket (the hosts' ping_group_range allows it):
		// the kernel hands it only its own replies. A raw socket would
		// need a BPF filter per pinger, and attaching thousands of
		// short-lived filters has deadlocked the kernel's BPF JIT.
		p.SetPrivileged(false)
		if src.IsValid() {
			p.Source = src.String()
		}
		p.Count = count
		p.Interval = 100 * time.Millisecond
		p.Timeout = time.Duration(count)*p.Interval + time.Second
		if err := p.RunWithContext(ctx); err != nil {
			return err
		}
		stats = p.Statistics()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: ping %s: %w", h.Name, dst, err)
	}
	if stats.PacketsRecv == 0 {
		return stats, fmt.Errorf("%s: ping %s: no reply to %d requests", h.Name, dst, stats.PacketsSent)
	}
	return stats, nil
}

// numericZone rewrites "addr%eth0" as "addr%<index of eth0 in this host>".
// Go caches zone names process-wide from the namespace it first looked in,
// so names cannot be trusted across namespaces; indexes can.
func (h *Host) numericZone(dst string) (string, error) {
	addr, zone, ok := strings.Cut(dst, "%")
	if !ok {
		return dst, nil
	}
	if _, err := strconv.Atoi(zone); err == nil {
		return dst, nil
	}
	link, err := h.handle.LinkByName(zone)
	if err != nil {
		return "", fmt.Errorf("%s: ping %s: no interface %s: %w", h.Name, dst, zone, err)
	}
	return addr + "%" + strconv.Itoa(link.Attrs().Index), nil
}
