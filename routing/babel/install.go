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

// kernelRoute is the kernel route for the installed route of e; false
// when there is none.
func (c *core) kernelRoute(k routeKey, e *entry) (kernel.Route, bool) {
	r := e.installed
	if r == nil {
		return kernel.Route{}, false
	}
	p := c.cfg.Install
	src := k.src()
	switch {
	case p.NoSubtrees:
		src = netip.Prefix{} // only "::/0 from network" got here; strip it
	case p.Network.IsValid() && k.dst().Bits() == 0 && src.Bits() == 0 && k.dst().Addr().Is6():
		src = p.Network // a legacy non-specific default becomes "default from network"
	}
	if src.IsValid() && src.Bits() == 0 {
		src = netip.Prefix{}
	}
	kr := kernel.Route{Dst: k.dst(), Src: src}
	if c.metric(r) >= inf {
		if k.dst().Bits() == 0 {
			return kernel.Route{}, false // never a default unreachable
		}
		kr.Unreachable, kr.Metric = true, 0xFFFFFFFF
		return kr, true
	}
	kr.Gateway = r.neigh.addr
	if r.nexthop.IsValid() && r.nexthop.Is6() == k.dst().Addr().Is6() {
		kr.Gateway = r.nexthop.WithZone("")
	}
	kr.Ifindex = r.neigh.ifc.Index
	if k.dst().Addr().Is4() {
		kr.PrefSrc = p.PrefSrc4
	} else {
		kr.PrefSrc = p.PrefSrc6
	}
	return kr, true
}

// naturalKey is the key whose kernel route has kernel key kk unless
// rewritten (the re6st default rules).
func naturalKey(kk kernel.Key) routeKey {
	src := kk.Src
	if !src.IsValid() {
		src = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		if kk.Dst.Addr().Is4() {
			src = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		}
	}
	return makeKey(kk.Dst, src)
}

// kernelOwner is the key whose route holds the kernel slot kk. kowner only
// records routes installed under another key than their own (the few the
// re6st default rules rewrite), so that it stays small.
func (c *core) kernelOwner(kk kernel.Key) (routeKey, bool) {
	if k, ok := c.kowner[kk]; ok {
		return k, true
	}
	nk := naturalKey(kk)
	if e := c.routes[nk]; e != nil && e.inKernel && e.kernel.Key() == kk {
		return nk, true
	}
	return routeKey{}, false
}

// syncKernel makes the kernel match the installed route of e. The change
// is queued and goes to the kernel with the others at [core.commit].
func (c *core) syncKernel(k routeKey, e *entry) {
	want, ok := c.kernelRoute(k, e)
	if ok {
		owner, held := c.kowner[want.Key()]
		if naturalKey(want.Key()) != k {
			owner, held = c.kernelOwner(want.Key())
		}
		if held && owner != k {
			if k.src().Bits() == 0 {
				ok = false // the source-specific route owns this kernel slot
			} else if oe := c.routes[owner]; oe != nil {
				c.forgetKernel(owner, oe) // take it over from the legacy default
			}
		}
	}
	if e.inKernel && (!ok || e.kernel.Key() != want.Key()) {
		c.dropKernel(k, e)
	}
	if !ok || (e.inKernel && e.kernel == want) {
		return
	}
	c.queueKernel(k, kernel.Op{Route: want})
	if e.inKernel && e.kernel.Metric != want.Metric {
		// Another metric is another kernel route: add the new one first.
		c.queueKernel(k, kernel.Op{Delete: true, Route: e.kernel})
	}
	e.kernel, e.inKernel = want, true
	if naturalKey(want.Key()) != k {
		c.kowner[want.Key()] = k
	}
}

func (c *core) queueKernel(k routeKey, op kernel.Op) {
	c.kops = append(c.kops, op)
	c.kopKeys = append(c.kopKeys, k)
	if len(c.kops) >= maxKernelBatch {
		c.commit()
	}
}

// maxKernelBatch bounds the changes kept before a commit.
const maxKernelBatch = 1024

// dropKernel removes the kernel route of e, if any.
func (c *core) dropKernel(k routeKey, e *entry) {
	if !e.inKernel {
		return
	}
	c.queueKernel(k, kernel.Op{Delete: true, Route: e.kernel})
	c.forgetKernel(k, e)
}

// forgetKernel forgets that e has a kernel route, without removing it.
func (c *core) forgetKernel(k routeKey, e *entry) {
	if owner, ok := c.kowner[e.kernel.Key()]; ok && owner == k {
		delete(c.kowner, e.kernel.Key())
	}
	e.inKernel = false
}

// commit sends the queued kernel changes in one batch. A route the kernel
// refused is marked as not installed, so the next expiry round retries it.
func (c *core) commit() {
	if len(c.kops) == 0 {
		return
	}
	errs := c.kern.Apply(c.kops)
	for i, err := range errs {
		if err == nil {
			continue
		}
		op, k := c.kops[i], c.kopKeys[i]
		if op.Delete {
			// The kernel drops routes through an interface that went down.
			if !errors.Is(err, kernel.ErrNotFound) {
				c.stats.KernelErrors++
				c.log.Warn("babel: remove route", "prefix", op.Route.Dst, "err", err)
			}
			continue
		}
		c.stats.KernelErrors++
		c.log.Warn("babel: install route", "prefix", k.dst(), "source", k.src(), "err", err)
		if e := c.routes[k]; e != nil && e.inKernel && e.kernel == op.Route {
			c.forgetKernel(k, e)
		}
	}
	clear(c.kops)
	c.kops, c.kopKeys = c.kops[:0], c.kopKeys[:0]
}
