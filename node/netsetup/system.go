package netsetup

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the System of one network namespace.
type Netlink struct {
	Handle *netlink.Handle
	// Do runs fn where /proc/sys is the namespace's (nil: here).
	Do func(fn func() error) error
}

func (n Netlink) link(iface string) (netlink.Link, error) {
	l, err := n.Handle.LinkByName(iface)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", iface, err)
	}
	return l, nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func notFound(err error) error {
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.ENOENT) {
		return os.ErrNotExist
	}
	return err
}

// AddAddr adds an address (replacing the same one left behind).
func (n Netlink) AddAddr(iface string, a netip.Prefix) error {
	l, err := n.link(iface)
	if err != nil {
		return err
	}
	if err := n.Handle.LinkSetUp(l); err != nil {
		return err
	}
	return n.Handle.AddrReplace(l, &netlink.Addr{IPNet: ipNet(a), Flags: unix.IFA_F_NODAD})
}

func (n Netlink) DelAddr(iface string, a netip.Prefix) error {
	l, err := n.link(iface)
	if err != nil {
		return notFound(err)
	}
	return notFound(n.Handle.AddrDel(l, &netlink.Addr{IPNet: ipNet(a)}))
}

func unreachable(dst netip.Prefix) *netlink.Route {
	r := &netlink.Route{Dst: ipNet(dst), Type: unix.RTN_UNREACHABLE}
	if dst.Addr().Is4() {
		r.Protocol = unix.RTPROT_STATIC
	}
	return r
}

func (n Netlink) AddUnreachable(dst netip.Prefix) error {
	return n.Handle.RouteReplace(unreachable(dst))
}

func (n Netlink) DelUnreachable(dst netip.Prefix) error {
	return notFound(n.Handle.RouteDel(unreachable(dst)))
}

var linkLocal = netip.MustParsePrefix("fe80::/64")

func (n Netlink) DelLinkLocalRoute(iface string) (bool, error) {
	l, err := n.link(iface)
	if err != nil {
		return false, err
	}
	err = n.Handle.RouteDel(&netlink.Route{Dst: ipNet(linkLocal), LinkIndex: l.Attrs().Index})
	if notFound(err) == os.ErrNotExist {
		return false, nil
	}
	return err == nil, err
}

func (n Netlink) AddLinkLocalRoute(iface string) error {
	l, err := n.link(iface)
	if err != nil {
		return err
	}
	return n.Handle.RouteReplace(&netlink.Route{Dst: ipNet(linkLocal), LinkIndex: l.Attrs().Index, Priority: 256, Protocol: unix.RTPROT_KERNEL})
}

func sysctlPath(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

func (n Netlink) do(fn func() error) error {
	if n.Do == nil {
		return fn()
	}
	return n.Do(fn)
}

func (n Netlink) Sysctl(key string) (string, error) {
	var v string
	err := n.do(func() error {
		b, err := os.ReadFile(sysctlPath(key))
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

func (n Netlink) SetSysctl(key, value string) error {
	return n.do(func() error { return os.WriteFile(sysctlPath(key), []byte(value), 0o644) })
}
