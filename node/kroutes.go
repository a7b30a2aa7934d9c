package node

import (
	"context"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"re6st-tui/diag/system"
	"re6st-tui/node/state"
)

// Following the kernel's routes: a netlink route subscription wakes the
// follower, which reads the table again once a burst of changes (Babel
// installing a thousand routes) has had kernelSettle to pass, so that a
// burst costs one read. Reading the whole table, rather than applying each
// message, also recovers from an overrun of the subscription's buffer.
const (
	kernelSettle = 200 * time.Millisecond
	// rewatchDelay is the wait before subscribing again when the
	// subscription ended on an error.
	rewatchDelay = time.Second
)

// startKernelRoutes opens the node's view of the kernel (also the doctor's)
// and follows its routes into the state.
func (n *Node) startKernelRoutes(ctx context.Context, undo *[]func()) error {
	k, err := system.Open("")
	if err != nil {
		return err
	}
	n.sys = k
	if n.cfg.Gateway {
		n.hostRoutes = make(chan []system.Route, 1)
	}
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.followKernel(wctx)
	}()
	*undo = append(*undo, func() {
		cancel()
		<-done
		k.Close()
	})
	return nil
}

// followKernel keeps the state's kernel routes current until ctx ends.
func (n *Node) followKernel(ctx context.Context) {
	for ctx.Err() == nil {
		events, err := n.sys.WatchRoutes(ctx)
		if err != nil {
			n.log.Error("cannot follow kernel routes; trying again", "err", err)
		} else {
			n.readKernel() // after subscribing, so no change falls in between
			n.followEvents(ctx, events)
		}
		select {
		case <-ctx.Done():
		case <-time.After(rewatchDelay):
			if ctx.Err() == nil {
				n.log.Warn("kernel route subscription ended; subscribing again")
			}
		}
	}
}

// followEvents reads the table after each burst of changes, until the
// subscription ends.
func (n *Node) followEvents(ctx context.Context, events <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(kernelSettle):
		}
		select { // a change during the pause is in the read below
		case <-events:
		default:
		}
		n.readKernel()
	}
}

// ipv4Lister is a kernel that lists its IPv4 routes too, as
// system.Kernel and its test fake do.
type ipv4Lister interface {
	IPv4Routes() ([]system.Route, error)
}

// readKernel reads the kernel's IPv6 and IPv4 routes and publishes the
// rows that changed; route changes also wake the doctor's route checks,
// and a gateway gets each read of the IPv6 routes.
func (n *Node) readKernel() {
	routes, err := n.sys.Routes()
	if err != nil {
		n.log.Warn("read kernel routes", "err", err)
		return
	}
	if n.hostRoutes != nil {
		select { // the newest read replaces one not taken yet
		case <-n.hostRoutes:
		default:
		}
		n.hostRoutes <- slices.Clip(routes)
	}
	if k, ok := n.sys.(ipv4Lister); ok {
		v4, err := k.IPv4Routes()
		if err != nil {
			n.log.Warn("read kernel routes", "err", err)
			return
		}
		routes = append(routes, v4...)
	}
	cur := kernelRows(routes)
	n.mu.Lock()
	old := n.st.Kernel
	n.st.Kernel = cur
	n.mu.Unlock()
	changed := false
	diff(old, cur, func(v state.KernelRoute) any { return v.Key() },
		func(v state.KernelRoute, gone bool) {
			changed = true
			n.publish(state.Event{Kind: state.KindKernel, Kernel: &v, Removed: gone})
		})
	if changed && n.checks != nil {
		n.checks.routesChanged()
	}
}

// kernelRows turns the kernel's routes into the state's rows. The source
// prefix stays: `default from <network>` and a plain default are two
// routes, and two rows.
func kernelRows(routes []system.Route) []state.KernelRoute {
	out := make([]state.KernelRoute, 0, len(routes))
	for _, r := range routes {
		kr := state.KernelRoute{Dst: r.Dst, Via: r.Via, Dev: r.Dev, Proto: origin(r.Proto),
			Metric: r.Metric, Table: r.Table, PrefSrc: r.PrefSrc, Type: routeType(r.Type)}
		if r.HasSrc() {
			kr.Src = r.Src
		}
		out = append(out, kr)
	}
	return out
}

func origin(p int) string {
	switch p {
	case system.ProtoBabel:
		return state.OriginBabel
	case unix.RTPROT_KERNEL:
		return state.OriginKernel
	case unix.RTPROT_RA:
		return state.OriginRA
	case unix.RTPROT_DHCP:
		return state.OriginDHCP
	case unix.RTPROT_BOOT, unix.RTPROT_STATIC:
		return state.OriginStatic
	}
	return "proto " + strconv.Itoa(p)
}

func routeType(t int) string {
	switch t {
	case unix.RTN_UNICAST, unix.RTN_UNSPEC:
		return ""
	case unix.RTN_UNREACHABLE:
		return state.TypeUnreachable
	case unix.RTN_BLACKHOLE:
		return state.TypeBlackhole
	case unix.RTN_PROHIBIT:
		return state.TypeProhibit
	}
	return "type " + strconv.Itoa(t)
}
