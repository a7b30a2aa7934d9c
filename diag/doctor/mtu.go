package doctor

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"re6st-tui/diag/pmtu"
)

// MTUProber measures the path MTU; pmtu.Measure is the real one.
type MTUProber func(ctx context.Context, cfg pmtu.Config) (pmtu.Result, error)

func checkPathMTU(ctx context.Context, d *Doctor) Result {
	dst := d.Node.MTUTarget
	if !dst.IsValid() {
		return result(Skip, "no overlay address to measure the path MTU to")
	}
	r, err := d.Sys.RouteGet(dst, d.Node.Addr)
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		// A node that has just started has no route over the overlay yet.
		return result(Skip, fmt.Sprintf("no route to %v yet: measured once the overlay reaches it", dst))
	}
	if err != nil {
		return result(Error, err.Error())
	}
	links, err := d.Sys.Links()
	if err != nil {
		return result(Error, err.Error())
	}
	expected := 0
	for _, l := range links {
		if l.Name == r.Dev {
			expected = l.MTU
		}
	}
	if expected < pmtu.MinMTU {
		return result(Error, fmt.Sprintf("route to %v leaves through %q, whose MTU %d is below IPv6's %d", dst, r.Dev, expected, pmtu.MinMTU))
	}
	measure := d.MTU
	if measure == nil {
		measure = pmtu.Measure
	}
	res, err := measure(ctx, pmtu.Config{Dst: dst, Src: d.Node.Addr, Expected: expected})
	if err != nil {
		return result(Error, err.Error())
	}
	details := []string{fmt.Sprintf("route to %v: dev %s, MTU %d", dst, r.Dev, expected), fmt.Sprintf("largest echo answered: %d bytes", res.Largest)}
	switch {
	case res.BlackHole:
		return result(Fail, fmt.Sprintf("MTU black hole towards %v: packets above %d bytes vanish without \"packet too big\"; lower the MTU of %s to %d or let ICMPv6 type 2 through", dst, res.Largest, r.Dev, res.Largest), details...)
	case res.TooBig:
		return result(OK, fmt.Sprintf("path MTU to %v is %d bytes, below %s's %d, and the path says so (packet too big)", dst, res.Largest, r.Dev, expected), details...)
	}
	return result(OK, fmt.Sprintf("full %d-byte packets reach %v", res.Largest, dst), details...)
}
