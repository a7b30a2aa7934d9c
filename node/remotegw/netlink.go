package remotegw

import (
	"errors"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Netlink is the Kernel of one network namespace.
type Netlink struct{ Handle *netlink.Handle }

func (n Netlink) route(r Route) *netlink.Route {
	return &netlink.Route{Dst: &net.IPNet{IP: r.Dst.AsSlice(), Mask: net.CIDRMask(32, 32)},
		Gw: r.Via.AsSlice(), Protocol: unix.RTPROT_STATIC}
}

// Add makes the route; an existing host route to the same address, made
// by someone else, is an error rather than replaced.
func (n Netlink) Add(r Route) error { return n.Handle.RouteAdd(n.route(r)) }

// Delete removes the route if it is there.
func (n Netlink) Delete(r Route) error {
	err := n.Handle.RouteDel(n.route(r))
	if errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT) {
		return nil
	}
	return err
}
