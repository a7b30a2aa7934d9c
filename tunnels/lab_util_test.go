package tunnels

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/tunnels/tap"

	"github.com/vishvananda/netlink"
)

var labNetwork = netip.MustParsePrefix("2001:db8:42::/48")

// labNode is a Manager running inside one lab host, with the events it
// reported.
type labNode struct {
	host *netlab.Host
	mgr  *Manager
	cfg  Config
	ev   *eventLog
}

// labConfig is a Config for a Manager in host h with the certificate of cn.
func labConfig(t testing.TB, h *netlab.Host, pki *testPKI, cn string, serial int64) Config {
	cert, key := pki.Issue(t, cn, serial, int(serial))
	return Config{
		RunDir: t.TempDir(), CA: pki.CA, Cert: cert, Key: key, DH: testDH(t),
		Hello: 30 * time.Second, MaxClients: 10, ClientCount: 4,
		Taps:    tap.Links{Handle: h.Handle(), Do: h.Do},
		Command: h.Command,
		Log:     testLogger(t).With("host", h.Name),
	}
}

func startNode(t testing.TB, h *netlab.Host, cfg Config) *labNode {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	n := &labNode{host: h, mgr: m, cfg: cfg, ev: collect(m)}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("%s: stop: %v", h.Name, err)
		}
	})
	return n
}

// eventLog keeps every event of a Manager so tests can wait for one.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	taken  []bool
}

func collect(m *Manager) *eventLog {
	l := &eventLog{}
	go func() {
		for ev := range m.Events() {
			l.mu.Lock()
			l.events = append(l.events, ev)
			l.taken = append(l.taken, false)
			l.mu.Unlock()
		}
	}()
	return l
}

// wait returns the first not yet returned event of kind k for which ok
// holds, waiting up to timeout.
func (l *eventLog) wait(t testing.TB, timeout time.Duration, k Kind, ok func(Event) bool) Event {
	t.Helper()
	var got Event
	netlab.WaitFor(t, timeout, "event "+k.String(), func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		var seen []string
		for i, ev := range l.events {
			if !l.taken[i] && ev.Kind == k && (ok == nil || ok(ev)) {
				l.taken[i], got = true, ev
				return nil
			}
			seen = append(seen, fmt.Sprintf("%v %s %s %s", ev.Kind, ev.Tunnel, ev.CN, ev.Reason))
		}
		return fmt.Errorf("seen: %s", strings.Join(seen, "; "))
	})
	return got
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("RE6ST_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// address is h's underlay address for p, port 1194.
func address(h *netlab.Host, p Proto, port uint16) Address {
	ip := h.IPv4
	if p.IPv6() {
		ip = h.IPv6
	}
	return Address{AddrPort: netip.AddrPortFrom(ip, port), Proto: p}
}

// linkLocal waits for iface in h to have its fe80:: address.
func linkLocal(t testing.TB, h *netlab.Host, iface string) netip.Addr {
	t.Helper()
	var ll netip.Addr
	netlab.WaitFor(t, 10*time.Second, iface+" link-local address", func() error {
		link, err := h.Handle().LinkByName(iface)
		if err != nil {
			return err
		}
		addrs, err := h.Handle().AddrList(link, netlink.FAMILY_V6)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.IsLinkLocalUnicast() {
				ll = ip
				return nil
			}
		}
		out, _ := h.Command(context.Background(), "ip", "addr", "show", "dev", iface).CombinedOutput()
		return fmt.Errorf("no fe80:: address on %s yet: %s", iface, out)
	})
	return ll
}

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
