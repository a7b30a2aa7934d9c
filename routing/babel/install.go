package babel

import (
	"errors"
	"net/netip"

	"re6st-tui/routing/kernel"
)

// accepted applies re6st's input rules (re6st-protocol §7.1) to (dst, src).
func (c *core) accepted(dst, src netip.Prefix) bool {
	p := c.cfg.Install
	if !p.NoSubtrees {
		return true
	}
	if p.Gateway {
		return p.Network.IsValid() && dst.Bits() >= p.Network.Bits() && p.Network.Contains(dst.Addr()) && src.Bits() == 0
	}
	if src.Bits() > 0 {
		return dst.Bits() == 0 && src == p.Network
	}
	return true
}

// kernelRoute is the kernel route for the installed route of e, or nil.
func (c *core) kernelRoute(k routeKey, e *entry) *kernel.Route {
	r := e.installed
	if r == nil {
		return nil
	}
	p := c.cfg.Install
	src := k.src
	switch {
	case p.NoSubtrees:
		src = netip.Prefix{} // only "::/0 from network" got here; strip it
	case p.Network.IsValid() && k.dst.Bits() == 0 && src.Bits() == 0 && k.dst.Addr().Is6():
		src = p.Network // a legacy non-specific default becomes "default from network"
	}
	if src.IsValid() && src.Bits() == 0 {
		src = netip.Prefix{}
	}
	kr := &kernel.Route{Dst: k.dst, Src: src}
	if c.metric(r) >= inf {
		if k.dst.Bits() == 0 {
			return nil // never a default unreachable
		}
		kr.Unreachable, kr.Metric = true, 0xFFFFFFFF
		return kr
	}
	kr.Gateway = r.neigh.addr
	if r.nexthop.IsValid() && r.nexthop.Is6() == k.dst.Addr().Is6() {
		kr.Gateway = r.nexthop.WithZone("")
	}
	kr.Ifindex = r.neigh.ifc.Index
	if k.dst.Addr().Is4() {
		kr.PrefSrc = p.PrefSrc4
	} else {
		kr.PrefSrc = p.PrefSrc6
	}
	return kr
}

// syncKernel makes the kernel match the installed route of e.
func (c *core) syncKernel(k routeKey, e *entry) {
	want := c.kernelRoute(k, e)
	if want != nil {
		if owner, ok := c.kowner[want.Key()]; ok && owner != k {
			if k.src.Bits() == 0 {
				want = nil // the source-specific route owns this kernel slot
			} else if oe := c.routes[owner]; oe != nil {
				oe.kernel = nil // take it over from the legacy default
			}
		}
	}
	if e.kernel != nil && (want == nil || e.kernel.Key() != want.Key()) {
		c.dropKernel(e)
	}
	if want == nil || (e.kernel != nil && *e.kernel == *want) {
		return
	}
	if err := c.kern.Replace(*want); err != nil {
		c.stats.KernelErrors++
		c.log.Warn("babel: install route", "prefix", k.dst, "source", k.src, "err", err)
		return
	}
	e.kernel = want
	c.kowner[want.Key()] = k
}

func (c *core) dropKernel(e *entry) {
	if e.kernel == nil {
		return
	}
	// The kernel drops routes through an interface that went down: not an error.
	if err := c.kern.Delete(*e.kernel); err != nil && !errors.Is(err, kernel.ErrNotFound) {
		c.stats.KernelErrors++
		c.log.Warn("babel: remove route", "prefix", e.kernel.Dst, "err", err)
	}
	delete(c.kowner, e.kernel.Key())
	e.kernel = nil
}
