package babel

import (
	"fmt"
	"time"

	"re6st-tui/routing/babel/wire"
)

const (
	checkInterval  = 250 * time.Millisecond
	expiryInterval = 5 * time.Second
	sourceGC       = 60 * time.Second
)

// tick runs every timer that is due at now and returns the next deadline.
func (c *core) tick(now time.Time) time.Time {
	c.now = now
	if !c.nextCheck.After(now) {
		c.checkNeighbours()
		c.nextCheck = now.Add(checkInterval)
	}
	if !c.nextExpiry.After(now) {
		c.expire()
		c.expireRequests()
		c.nextExpiry = now.Add(expiryInterval)
	}
	if !c.nextSourceGC.After(now) {
		c.gcSources()
		c.nextSourceGC = now.Add(sourceGC)
	}
	c.runResends()
	c.runOwnRequests()
	for _, ifc := range c.ifaces {
		if !ifc.up {
			continue
		}
		if !ifc.nextHello.After(now) {
			c.sendHello(ifc)
			ifc.nextHello = now.Add(c.roughly(ifc.Hello))
		} else if !ifc.feedback.IsZero() && !ifc.feedback.After(now) {
			c.sendHello(ifc)
		}
		if !ifc.feedback.After(now) {
			ifc.feedback = time.Time{}
		}
		if !ifc.nextUpdate.After(now) {
			ifc.mc.full = true
			ifc.mc.schedule(now)
			ifc.nextUpdate = now.Add(c.roughly(ifc.Update))
		}
	}
	for _, ifc := range c.ifaces {
		if ifc.up && !ifc.mc.flushAt.IsZero() && !ifc.mc.flushAt.After(now) {
			c.flush(ifc, &ifc.mc, nil)
		}
	}
	for _, n := range c.neighs {
		if !n.out.flushAt.IsZero() && !n.out.flushAt.After(now) {
			c.flush(n.ifc, &n.out, n)
		}
	}
	return c.nextDeadline()
}

func (c *core) nextDeadline() time.Time {
	next := c.nextCheck
	earlier := func(t time.Time) {
		if !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	earlier(c.nextExpiry)
	earlier(c.nextSourceGC)
	for _, r := range c.resends {
		earlier(r.next())
	}
	c.ownRequestsDue(earlier)
	for _, ifc := range c.ifaces {
		if ifc.up {
			earlier(ifc.nextHello)
			earlier(ifc.feedback)
			earlier(ifc.nextUpdate)
			earlier(ifc.mc.flushAt)
		}
	}
	for _, n := range c.neighs {
		earlier(n.out.flushAt)
	}
	return next
}

func (c *core) expireRequests() {
	for k, p := range c.forwarded {
		if c.now.Sub(p.time) > requestLifetime {
			delete(c.forwarded, k)
		}
	}
	for k, s := range c.sent {
		if c.now.Sub(s.time) > requestLifetime {
			delete(c.sent, k)
		}
	}
}

func (c *core) ifaceByName(name string) *iface {
	for _, ifc := range c.ifaces {
		if ifc.Name == name {
			return ifc
		}
	}
	return nil
}

// addInterface starts Babel on an interface.
func (c *core) addInterface(cfg Interface) error {
	if err := c.cfg.ifaceDefaults(&cfg); err != nil {
		return err
	}
	if old := c.ifaceByName(cfg.Name); old != nil {
		return fmt.Errorf("babel: interface %s already added: remove it first", cfg.Name)
	}
	if _, ok := c.ifaces[cfg.Index]; ok {
		return fmt.Errorf("babel: interface index %d already in use", cfg.Index)
	}
	if err := c.tx.Join(cfg.Index); err != nil {
		return fmt.Errorf("babel: join ff02::1:6 on %s: %w", cfg.Name, err)
	}
	ifc := &iface{Interface: cfg, helloSeqno: uint16(c.rng.Uint32())}
	c.ifaces[cfg.Index] = ifc
	c.setUp(ifc, true)
	return nil
}

// setUp brings an interface up (first packets within ~10 ms) or down
// (every neighbour on it flushed at once, which retracts their routes).
func (c *core) setUp(ifc *iface, up bool) {
	if ifc.up == up {
		return
	}
	ifc.up = up
	c.log.Debug("babel: interface state", "iface", ifc.Name, "up", up)
	if !up {
		for k, n := range c.neighs {
			if n.ifc == ifc {
				c.flushNeighbour(k, n)
			}
		}
		ifc.mc = outbox{}
		c.emitInterface(ifc)
		return
	}
	start := c.now.Add(c.roughly(10 * time.Millisecond))
	ifc.nextHello = start
	ifc.nextUpdate = start.Add(c.roughly(500 * time.Millisecond))
	// A wildcard retraction clears what neighbours kept from a previous run.
	ifc.mc.tlvs = append(ifc.mc.tlvs, wire.Update{Seqno: c.seqno, Metric: inf}, wire.RouteRequest{})
	ifc.mc.schedule(start)
	c.emitInterface(ifc)
}

func (c *core) removeInterface(name string) error {
	ifc := c.ifaceByName(name)
	if ifc == nil {
		return fmt.Errorf("babel: no interface %s", name)
	}
	c.retire(ifc)
	c.setUp(ifc, false)
	delete(c.ifaces, ifc.Index)
	if err := c.tx.Leave(ifc.Index); err != nil {
		c.log.Debug("babel: leave group", "iface", name, "err", err)
	}
	return nil
}

// retire sends what babeld sends on a clean exit: a wildcard retraction with
// a Hello of 10 cs, then again with 1 cs, so neighbours drop us at once.
func (c *core) retire(ifc *iface) {
	if !ifc.up {
		return
	}
	for _, iv := range []uint16{10, 1} {
		w := wire.NewWriter(ifc.MTU - 60 - c.authReserve())
		_ = w.Add(wire.Update{Interval: 0xFFFF, Seqno: c.seqno, Metric: inf})
		_ = w.Add(c.helloTLV(ifc, iv))
		c.transmit(ifc, wire.Group, w)
	}
}

// shutdown retracts everything and removes our kernel routes.
func (c *core) shutdown(now time.Time) {
	c.now = now
	for _, ifc := range c.ifaces {
		c.retire(ifc)
	}
	for k, e := range c.routes {
		c.dropKernel(k, e)
	}
	c.commit()
}
