package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// defaultRouteCheck is how often a gateway reads its host's default
// routes besides following the kernel's change notices, which a full
// socket buffer can drop.
const defaultRouteCheck = 30 * time.Second

// Kernel route protocols babeld treats apart (linux/rtnetlink.h).
const (
	protoBoot  = unix.RTPROT_BOOT
	protoBabel = 42
	// kernelInfinity is babeld's bound on kernel metrics: a default
	// route at or above it is one of the kernel's placeholders.
	kernelInfinity = 0xFFFF
)

// hostDefault is what a gateway finds among its host's default routes.
type hostDefault struct {
	export  []string // routes babeld would export, as `ip -6 route` shows them
	ignored []string // default routes it would not, each with the reason
}

func (h hostDefault) equal(o hostDefault) bool {
	return slices.Equal(h.export, o.export) && slices.Equal(h.ignored, o.ignored)
}

// whyNotExported says why babeld, run with re6st's redistribute
// statements for a gateway, would not export the host's IPv6 default
// route r, or "" when it would: babeld reads the main table, skips its
// own routes and cached ones, skips the kernel's unreachable
// placeholders, and its filters skip "proto boot" routes, the kind
// `ip route add` makes when given no protocol.
func whyNotExported(r netlink.Route) string {
	switch {
	case r.Table != unix.RT_TABLE_MAIN && r.Table != 0:
		return fmt.Sprintf("in table %d, not main", r.Table)
	case int(r.Protocol) == protoBabel:
		return "learnt by Babel"
	case r.Flags&unix.RTM_F_CLONED != 0:
		return "a cached route"
	case r.Priority >= kernelInfinity:
		return "the kernel's placeholder (metric ≥ 65535)"
	case int(r.Protocol) == protoBoot:
		return "'proto boot', which babeld does not export: add it with 'proto static'"
	}
	return ""
}

func isDefault(r netlink.Route) bool {
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}

// readHostDefault lists the host's IPv6 default routes and sorts them.
func readHostDefault() (hostDefault, error) {
	var routes []netlink.Route
	var err error
	for range 3 {
		routes, err = netlink.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return hostDefault{}, fmt.Errorf("list default routes: %w", err)
	}
	var h hostDefault
	for _, r := range routes {
		if !isDefault(r) || r.Type != unix.RTN_UNICAST && r.Priority >= kernelInfinity {
			continue // not a default, or the kernel's placeholder: nothing to say
		}
		if why := whyNotExported(r); why != "" {
			h.ignored = append(h.ignored, describeRoute(r)+": "+why)
		} else {
			h.export = append(h.export, describeRoute(r))
		}
	}
	slices.Sort(h.export)
	slices.Sort(h.ignored)
	return h, nil
}

// describeRoute prints r the way `ip -6 route` would, briefly.
func describeRoute(r netlink.Route) string {
	var b strings.Builder
	b.WriteString("default")
	if a, ok := netip.AddrFromSlice(r.Gw); ok {
		fmt.Fprintf(&b, " via %s", a)
	}
	if r.LinkIndex > 0 {
		if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
			fmt.Fprintf(&b, " dev %s", l.Attrs().Name)
		}
	}
	fmt.Fprintf(&b, " proto %s metric %d", r.Protocol, r.Priority)
	if r.Table != unix.RT_TABLE_MAIN {
		fmt.Fprintf(&b, " table %d", r.Table)
	}
	return b.String()
}

// watchDefaultRoute follows the host's default routes until ctx ends
// and tells the loop whenever what a gateway would export changes.
func (n *Node) watchDefaultRoute(ctx context.Context) {
	done := make(chan struct{})
	defer close(done)
	var updates chan netlink.RouteUpdate
	subscribe := func() {
		ch := make(chan netlink.RouteUpdate, 256)
		err := netlink.RouteSubscribeWithOptions(ch, done, netlink.RouteSubscribeOptions{
			ErrorCallback: func(err error) { n.log.Debug("route notices", "err", err) },
		})
		if err != nil {
			n.log.Warn("cannot follow route changes; checking the default route every 30 s", "err", err)
			return
		}
		updates = ch
	}
	var last *hostDefault
	check := func() {
		h, err := readHostDefault()
		if err != nil {
			n.log.Warn("gateway", "err", err)
			return
		}
		if last != nil && last.equal(h) {
			return
		}
		last = &h
		n.post(ctx, func() { n.setHostDefault(h) })
	}
	subscribe()
	check()
	tick := time.NewTicker(defaultRouteCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-updates:
			if !ok {
				updates = nil // the subscription failed: the next tick renews it
				continue
			}
			if u.Family == unix.AF_INET6 && isDefault(u.Route) {
				check()
			}
		case <-tick.C:
			if updates == nil {
				subscribe()
			}
			check()
		}
	}
}

// setHostDefault exports the network's default route while the host has
// a default route to give, and withdraws it when the last one goes.
func (n *Node) setHostDefault(h hostDefault) {
	exporting := len(h.export) > 0
	for _, r := range h.ignored {
		if !slices.Contains(n.hostDefault.ignored, r) {
			n.log.Warn("default route not exported", "route", r)
		}
	}
	n.hostDefault = h
	if exporting == n.exportDefault {
		return
	}
	n.exportDefault = exporting
	if err := n.speaker.SetXroutes(n.xroutes()); err != nil {
		n.log.Error("gateway: update exported routes", "err", err)
		return
	}
	n.dirty = true
	if exporting {
		n.log.Info("exporting the default route to the network", "routes", strings.Join(h.export, "; "))
	} else {
		n.log.Warn("no default route to export: the network loses its way out through this gateway")
	}
}
