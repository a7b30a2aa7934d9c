package system

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Kernel reads and changes one network namespace's routes and sysctls.
type Kernel struct {
	ns netns.NsHandle // closed: the caller's namespace
	h  *netlink.Handle

	// mu serialises requests on sock.
	mu   sync.Mutex
	sock *nl.SocketHandle
}

// Open returns a Kernel for the named network namespace (as under
// /var/run/netns), or for the current one when ns is "".
func Open(ns string) (*Kernel, error) {
	k := &Kernel{ns: netns.None()}
	if ns != "" {
		h, err := netns.GetFromName(ns)
		if err != nil {
			return nil, fmt.Errorf("open network namespace %s: %w", ns, err)
		}
		k.ns = h
	}
	var err error
	if k.h, err = netlink.NewHandleAt(k.ns); err != nil {
		k.Close()
		return nil, fmt.Errorf("netlink handle: %w", err)
	}
	s, err := nl.GetNetlinkSocketAt(k.ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	// A kernel that never answers should not hang a check forever.
	if err := s.SetReceiveTimeout(&unix.Timeval{Sec: 10}); err != nil {
		s.Close()
		k.Close()
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	k.sock = &nl.SocketHandle{Socket: s}
	return k, nil
}

// Close releases the Kernel's sockets.
func (k *Kernel) Close() error {
	if k.sock != nil {
		k.sock.Close()
	}
	if k.h != nil {
		k.h.Close()
	}
	if k.ns.IsOpen() {
		k.ns.Close()
	}
	return nil
}

func (k *Kernel) request(typ, flags int, payload []byte) ([][]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	req := nl.NewNetlinkRequest(typ, flags|unix.NLM_F_ACK)
	req.AddRawData(payload)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: k.sock}
	return req.Execute(unix.NETLINK_ROUTE, 0)
}

func (k *Kernel) ifNames() (map[int]string, error) {
	links, err := k.h.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("list links: %w", err)
	}
	m := make(map[int]string, len(links))
	for _, l := range links {
		m[l.Attrs().Index] = l.Attrs().Name
	}
	return m, nil
}

// Routes lists every IPv6 route of every table, except the kernel's local
// and multicast ones.
func (k *Kernel) Routes() ([]Route, error) { return k.routes(unix.AF_INET6) }

// IPv4Routes lists every IPv4 route of every table, except the kernel's
// local and multicast ones.
func (k *Kernel) IPv4Routes() ([]Route, error) { return k.routes(unix.AF_INET) }

func (k *Kernel) routes(family byte) ([]Route, error) {
	names, err := k.ifNames()
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	for range 5 { // a dump racing a change is interrupted; try again
		hdr := make([]byte, unix.SizeofRtMsg)
		hdr[0] = family
		msgs, err = k.request(unix.RTM_GETROUTE, unix.NLM_F_DUMP, hdr)
		if !errors.Is(err, nl.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dump %s routes: %w", familyName(family), err)
	}
	var out []Route
	for _, m := range msgs {
		r, ok := parseRoute(m, names)
		if !ok || r.Dst.Addr().Is4() != (family == unix.AF_INET) || r.Table == unix.RT_TABLE_LOCAL || r.Type == unix.RTN_MULTICAST {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func familyName(f byte) string {
	if f == unix.AF_INET {
		return "IPv4"
	}
	return "IPv6"
}

func (k *Kernel) change(typ, flags int, r Route) error {
	idx := 0
	if r.Dev != "" {
		l, err := k.h.LinkByName(r.Dev)
		if err != nil {
			return fmt.Errorf("route %v: find %s: %w", r, r.Dev, err)
		}
		idx = l.Attrs().Index
	}
	_, err := k.request(typ, flags, encodeRoute(r, idx))
	return err
}

// AddRoute adds r; it fails if a route with r's key exists.
func (k *Kernel) AddRoute(r Route) error {
	if err := k.change(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, r); err != nil {
		return fmt.Errorf("add route %v: %w", r, err)
	}
	return nil
}

// ReplaceRoute adds r or replaces the route with r's key.
func (k *Kernel) ReplaceRoute(r Route) error {
	if err := k.change(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, r); err != nil {
		return fmt.Errorf("replace route %v: %w", r, err)
	}
	return nil
}

// DeleteRoute deletes the route with r's key (and gateway, when set).
func (k *Kernel) DeleteRoute(r Route) error {
	if err := k.change(unix.RTM_DELROUTE, 0, r); err != nil {
		return fmt.Errorf("delete route %v: %w", r, err)
	}
	return nil
}

// RouteGet asks the kernel which route a packet to dst from src (when
// valid) takes, as `ip -6 route get dst from src` does.
func (k *Kernel) RouteGet(dst, src netip.Addr) (Route, error) {
	opt := &netlink.RouteGetOptions{}
	if src.IsValid() {
		opt.SrcAddr = net.IP(src.AsSlice())
	}
	rs, err := k.h.RouteGetWithOptions(net.IP(dst.AsSlice()), opt)
	if err != nil {
		return Route{}, fmt.Errorf("route get %v: %w", dst, err)
	}
	if len(rs) == 0 {
		return Route{}, fmt.Errorf("route get %v: no answer", dst)
	}
	r := Route{Dst: netip.PrefixFrom(dst, dst.BitLen()), Metric: rs[0].Priority, Table: rs[0].Table, Proto: int(rs[0].Protocol), Type: rs[0].Type}
	r.Via, _ = netip.AddrFromSlice(rs[0].Gw)
	if l, err := k.h.LinkByIndex(rs[0].LinkIndex); err == nil {
		r.Dev = l.Attrs().Name
	}
	return r, nil
}

// Link is a network interface.
type Link struct {
	Name  string
	Index int
	MTU   int
	Type  string // "veth", "tuntap", "dummy", ...
	Up    bool
}

// Links lists the namespace's interfaces.
func (k *Kernel) Links() ([]Link, error) {
	ls, err := k.h.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("list links: %w", err)
	}
	out := make([]Link, 0, len(ls))
	for _, l := range ls {
		a := l.Attrs()
		out = append(out, Link{Name: a.Name, Index: a.Index, MTU: a.MTU, Type: l.Type(), Up: a.Flags&net.FlagUp != 0})
	}
	return out, nil
}

// do runs fn on a thread inside the namespace; /proc/sys/net shows the
// namespace of the thread that opens it.
func (k *Kernel) do(fn func() error) error {
	if !k.ns.IsOpen() {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is not unlocked if moving back fails, so the runtime
		// throws it away rather than reuse it in the wrong namespace.
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(k.ns); err != nil {
			errc <- err
			return
		}
		err = fn()
		if netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

func sysctlPath(key string) (string, error) {
	if key == "" || strings.Contains(key, "..") {
		return "", fmt.Errorf("bad sysctl key %q", key)
	}
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")), nil
}

// Sysctl reads a sysctl such as "net.ipv6.conf.eth0.accept_ra".
func (k *Kernel) Sysctl(key string) (string, error) {
	p, err := sysctlPath(key)
	if err != nil {
		return "", err
	}
	var v []byte
	err = k.do(func() (err error) { v, err = os.ReadFile(p); return err })
	if err != nil {
		return "", fmt.Errorf("read sysctl %s: %w", key, err)
	}
	return strings.TrimSpace(string(v)), nil
}

// SetSysctl writes a sysctl.
func (k *Kernel) SetSysctl(key, value string) error {
	p, err := sysctlPath(key)
	if err != nil {
		return err
	}
	err = k.do(func() error { return os.WriteFile(p, []byte(value), 0o644) })
	if err != nil {
		return fmt.Errorf("set sysctl %s=%s: %w (needs root)", key, value, err)
	}
	return nil
}

// WatchRoutes sends on the returned channel after IPv6 and IPv4 route changes,
// coalescing bursts into one notification, until ctx ends.
func (k *Kernel) WatchRoutes(ctx context.Context) (<-chan struct{}, error) {
	s, err := nl.SubscribeAt(k.ns, netns.None(), unix.NETLINK_ROUTE, unix.RTNLGRP_IPV6_ROUTE, unix.RTNLGRP_IPV4_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("subscribe to route changes: %w", err)
	}
	ch := make(chan struct{}, 1)
	go func() {
		<-ctx.Done()
		s.Close() // unblocks Receive
	}()
	go func() {
		defer close(ch)
		for {
			// The messages themselves do not matter: a notification makes
			// the reader look at the whole table again, which also covers
			// an overrun (ENOBUFS) that lost some.
			if _, _, err := s.Receive(); err != nil {
				if ctx.Err() != nil {
					return
				}
				if !errors.Is(err, unix.ENOBUFS) && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
					return
				}
			}
			select {
			case ch <- struct{}{}:
			default: // one is pending already
			}
		}
	}()
	return ch, nil
}
