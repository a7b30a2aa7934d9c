package babel

import (
	"errors"
	"net/netip"
	"slices"
	"time"

	"re6st-tui/routing/babel/wire"
)

// Flush delays (§1): urgent TLVs leave within ~10 ms, urgent updates ~50 ms.
const (
	urgentTLV    = 10 * time.Millisecond
	urgentUpdate = 50 * time.Millisecond
	normalDelay  = time.Second
)

func (c *core) delay(urgent bool, base time.Duration) time.Time {
	if urgent {
		return c.now.Add(c.roughly(base))
	}
	return c.now.Add(c.roughly(normalDelay))
}

// queueUpdate schedules an Update for k on every interface.
func (c *core) queueUpdate(k routeKey, urgent bool) {
	for _, ifc := range c.ifaces {
		if ifc.up {
			ifc.mc.addUpdate(k)
			ifc.mc.schedule(c.delay(urgent, urgentUpdate))
		}
	}
}

// multicastTLV queues t on every interface.
func (c *core) multicastTLV(t wire.TLV, urgent bool) {
	for _, ifc := range c.ifaces {
		if ifc.up {
			ifc.mc.tlvs = append(ifc.mc.tlvs, t)
			ifc.mc.schedule(c.delay(urgent, urgentTLV))
		}
	}
}

// unicastTLV queues t for neighbour n.
func (c *core) unicastTLV(n *neighbour, t wire.TLV, urgent bool) {
	n.out.tlvs = append(n.out.tlvs, t)
	n.out.schedule(c.delay(urgent, urgentTLV))
}

// resend repeats an urgent update at +d, +2d, +4d (§4.4).
type resend struct {
	k     routeKey
	first time.Time
	d     time.Duration
	done  int
}

func (c *core) scheduleResend(k routeKey) {
	d := min(2*time.Second, c.cfg.Hello/2)
	for i := range c.resends {
		if c.resends[i].k == k {
			c.resends[i] = resend{k: k, first: c.now, d: d}
			return
		}
	}
	c.resends = append(c.resends, resend{k: k, first: c.now, d: d})
}

func (r *resend) next() time.Time { return r.first.Add(r.d << r.done) }

func (c *core) runResends() {
	keep := c.resends[:0]
	for _, r := range c.resends {
		if !r.next().After(c.now) {
			c.queueUpdate(r.k, true)
			r.done++
		}
		if r.done < 3 {
			keep = append(keep, r)
		}
	}
	c.resends = keep
}

// helloTLV builds our next Hello on ifc.
func (c *core) helloTLV(ifc *iface, interval uint16) wire.Hello {
	ifc.helloSeqno++
	h := wire.Hello{Seqno: ifc.helloSeqno, Interval: interval}
	if ifc.Kind == Tunnel {
		h.HasTimestamp, h.Timestamp = true, c.timestamp()
	}
	return h
}

// ihuTLV is our IHU for n, echoing its Hello timestamp on tunnels.
func (c *core) ihuTLV(n *neighbour) wire.IHU {
	ihu := wire.IHU{RxCost: n.rxcost(c.now), Interval: cs(3 * n.ifc.Hello), Addr: n.addr}
	if n.ifc.Kind == Tunnel && n.helloTS != 0 && c.now.Sub(n.helloTSTime) < 1000*time.Second {
		ihu.HasTimestamp, ihu.Origin, ihu.Receive = true, n.helloTS, n.helloRecv
	}
	return ihu
}

// queueIHU queues an IHU for n, to leave within about delay: in n's unicast
// packet when one is pending (babeld piggybacks it there too), else in the
// interface's multicast packet.
func (c *core) queueIHU(n *neighbour, delay time.Duration) {
	o := &n.ifc.mc
	if len(n.out.tlvs) > 0 {
		o = &n.out
	}
	o.tlvs = append(o.tlvs, c.ihuTLV(n))
	o.schedule(c.now.Add(c.roughly(delay)))
}

// companionHello is the unscheduled Hello that goes with an IHU carrying
// RTT data when its packet has no Hello: the receiver samples the RTT only
// from a timestamped Hello and such an IHU in one packet. In a unicast
// packet it is a unicast Hello, with n's own seqno (as babeld).
func (c *core) companionHello(ifc *iface, n *neighbour) wire.Hello {
	if n == nil {
		return c.helloTLV(ifc, 0)
	}
	n.uSeqno++
	return wire.Hello{Flags: wire.HelloUnicast, Seqno: n.uSeqno, HasTimestamp: true, Timestamp: c.timestamp()}
}

// sendHello queues a scheduled Hello and the IHUs that go with it.
func (c *core) sendHello(ifc *iface) {
	ifc.hellos++
	tlvs := []wire.TLV{c.helloTLV(ifc, cs(ifc.Hello))}
	for _, n := range c.neighs {
		if n.ifc != ifc {
			continue
		}
		marginal := n.txcost >= 384 || n.hist[0].reach&0xF000 != 0xF000
		if ifc.hellos%3 == 0 || marginal {
			tlvs = append(tlvs, c.ihuTLV(n))
		}
	}
	ifc.mc.tlvs = append(tlvs, ifc.mc.tlvs...)
	ifc.mc.schedule(c.now)
}

// updateFor builds the Update we announce for k on ifc; false means none
// (split horizon).
func (c *core) updateFor(ifc *iface, k routeKey) (wire.Update, bool) {
	u := wire.Update{Interval: cs(ifc.Update), Prefix: k.dst(), Src: k.src(),
		HasRouterID: true, RouterID: c.cfg.RouterID, Seqno: c.seqno, Metric: inf}
	if k.dst().Addr().Is4() {
		u.NextHop = ifc.IPv4 // none: v4-via-v6
	}
	if x, ok := c.xroutes[k]; ok {
		u.Metric = x.Metric
		return u, true
	}
	e := c.routes[k]
	if e == nil || e.installed == nil {
		return u, true // retraction with our own id, as babeld does
	}
	r := e.installed
	if ifc.Kind == Wired && r.neigh.ifc == ifc {
		return u, false
	}
	u.RouterID, u.Seqno, u.Metric = r.rid, r.seqno, c.metric(r)
	if u.Metric < inf {
		if s := e.source(r.rid); s != nil {
			s.advertised(c.now, r.seqno, u.Metric)
		}
	}
	return u, true
}

// fullTable lists every key we announce periodically: xroutes and installed routes.
func (c *core) fullTable() []routeKey {
	keys := make([]routeKey, 0, len(c.xroutes)+len(c.routes))
	for k := range c.xroutes {
		keys = append(keys, k)
	}
	for k, e := range c.routes {
		if _, ok := c.xroutes[k]; !ok && e.installed != nil {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// flush sends everything buffered in o to dst on ifc.
func (c *core) flush(ifc *iface, o *outbox, n *neighbour) {
	dst := wire.Group
	if n != nil {
		dst = n.addr
	}
	limit := ifc.MTU - 60 - c.authReserve()
	w := wire.NewWriter(limit)
	send := func() {
		if !w.Empty() {
			c.transmit(ifc, dst, w)
		}
		w.Reset()
	}
	add := func(t wire.TLV) {
		err := w.Add(t)
		if errors.Is(err, wire.ErrFull) {
			send()
			err = w.Add(t)
		}
		if err != nil {
			c.log.Warn("babel: cannot encode TLV", "iface", ifc.Name, "err", err)
		}
	}
	for _, t := range o.tlvs {
		if ihu, ok := t.(wire.IHU); ok && ihu.HasTimestamp && !w.HasHello() {
			if w.Len()+64 > limit {
				send() // the Hello and the IHU must share a packet
			}
			add(c.companionHello(ifc, n))
		}
		add(t)
	}
	keys := compactKeys(o.updates)
	if o.full {
		table := c.fullTable()
		for _, k := range keys {
			if _, ok := c.xroutes[k]; !ok && (c.routes[k] == nil || c.routes[k].installed == nil) {
				table = append(table, k) // pending retractions
			}
		}
		keys = table
	}
	for _, k := range keys {
		if u, ok := c.updateFor(ifc, k); ok {
			add(u)
		}
	}
	send()
	updates := o.updates[:0]
	if cap(updates) > 1024 {
		updates = nil // a burst is over: do not keep its room
	}
	clear(o.tlvs)
	*o = outbox{tlvs: o.tlvs[:0], updates: updates}
}

// transmit seals the packet (PC, MAC) and sends it.
func (c *core) transmit(ifc *iface, dst netip.Addr, w *wire.Writer) {
	d := Datagram{Ifindex: ifc.Index, Src: ifc.LinkLocal, Dst: dst}
	d.Data = c.seal(ifc, dst, w)
	c.stats.TxPackets++
	if err := c.tx.Send(d); err != nil {
		c.stats.TxErrors++
		c.log.Debug("babel: send failed", "iface", ifc.Name, "err", err)
	}
}
