package node

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"re6st-tui/diag/system"
)

// Kernel route protocols and metrics babeld treats apart.
const (
	protoBoot = unix.RTPROT_BOOT
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
func whyNotExported(r system.Route) string {
	switch {
	case r.Table != unix.RT_TABLE_MAIN && r.Table != 0:
		return fmt.Sprintf("in table %d, not main", r.Table)
	case r.Proto == system.ProtoBabel:
		return "learnt by Babel"
	case r.Cloned:
		return "a cached route"
	case r.Metric >= kernelInfinity:
		return "the kernel's placeholder (metric ≥ 65535)"
	case r.Proto == protoBoot:
		return "'proto boot', which babeld does not export: add it with 'proto static'"
	}
	return ""
}

// hostDefaultOf sorts the host's IPv6 default routes among routes.
func hostDefaultOf(routes []system.Route) hostDefault {
	var h hostDefault
	for _, r := range routes {
		if !r.IsDefault() || r.Dst.Addr().Is4() || r.Type != unix.RTN_UNICAST && r.Metric >= kernelInfinity {
			continue // not a default, or the kernel's placeholder: nothing to say
		}
		if why := whyNotExported(r); why != "" {
			h.ignored = append(h.ignored, r.String()+": "+why)
		} else {
			h.export = append(h.export, r.String())
		}
	}
	slices.Sort(h.export)
	slices.Sort(h.ignored)
	return h
}

// watchDefaultRoute follows the host's default routes until ctx ends and
// calls apply whenever what a gateway would export changes. The routes
// come from the kernel route follower (kroutes.go), which reads the
// table after every change and after an overrun of its subscription.
func (n *Node) watchDefaultRoute(ctx context.Context, routes <-chan []system.Route, apply func(hostDefault)) {
	var last *hostDefault
	for {
		select {
		case <-ctx.Done():
			return
		case rs := <-routes:
			h := hostDefaultOf(rs)
			if last != nil && last.equal(h) {
				continue
			}
			last = &h
			apply(h)
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
