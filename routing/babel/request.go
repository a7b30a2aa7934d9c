package babel

import (
	"time"

	"re6st-tui/routing/babel/wire"
)

// pendingRequest is a Seqno Request we forwarded (§4.6).
type pendingRequest struct {
	rid   wire.RouterID
	seqno uint16
	from  *neighbour
	time  time.Time
}

const requestLifetime = 65 * time.Second

type sentRequest struct {
	seqno uint16
	time  time.Time
}

// rateLimitRequest reports whether a Seqno Request for sk/seqno may go out now.
func (c *core) rateLimitRequest(sk sourceKey, seqno uint16) bool {
	if c.sent == nil {
		c.sent = map[sourceKey]sentRequest{}
	}
	if p, ok := c.sent[sk]; ok && p.seqno == seqno && c.now.Sub(p.time) < time.Second {
		return false
	}
	c.sent[sk] = sentRequest{seqno, c.now}
	return true
}

func (c *core) handleRouteRequest(n *neighbour, r wire.RouteRequest) {
	if r.Wildcard() {
		n.ifc.mc.tlvs = append(n.ifc.mc.tlvs, c.ihuTLV(n))
		n.ifc.mc.full = true
		n.ifc.mc.schedule(c.now.Add(c.roughly(urgentUpdate)))
		return
	}
	k := routeKey{r.Prefix, r.Src}
	n.ifc.mc.addUpdate(k)
	n.ifc.mc.schedule(c.now.Add(c.roughly(urgentUpdate)))
}

func (c *core) handleSeqnoRequest(n *neighbour, r wire.SeqnoRequest) {
	k := routeKey{r.Prefix, r.Src}
	if _, ok := c.xroutes[k]; ok {
		if r.RouterID == c.cfg.RouterID && seqnoNewer(r.Seqno, c.seqno) {
			if r.HopCount > 0 && r.Seqno-c.seqno > 100 {
				return // hopelessly out of date
			}
			// Babel requires at least the requested seqno; +1 is babeld's minimum.
			c.seqno++
			if seqnoNewer(r.Seqno, c.seqno) {
				c.seqno = r.Seqno
			}
			c.log.Debug("babel: seqno request for our route", "prefix", k.dst, "seqno", c.seqno)
		}
		c.queueUpdate(k, true)
		return
	}
	e := c.routes[k]
	if e != nil && e.installed != nil {
		inst := e.installed
		if inst.rid != r.RouterID || !seqnoNewer(r.Seqno, inst.seqno) {
			c.queueUpdate(k, true)
			return
		}
	}
	if r.HopCount <= 1 || e == nil {
		return
	}
	if p := c.forwarded[k]; p != nil && p.rid == r.RouterID && p.seqno == r.Seqno && c.now.Sub(p.time) < requestLifetime {
		return // duplicate
	}
	var to *neighbour
	if e.installed != nil && e.installed.neigh != n {
		to = e.installed.neigh
	} else {
		best := uint16(inf)
		for _, rt := range e.routes {
			if m := c.metric(rt); rt.neigh != n && m < best {
				to, best = rt.neigh, m
			}
		}
	}
	if to == nil {
		return
	}
	c.forwarded[k] = &pendingRequest{rid: r.RouterID, seqno: r.Seqno, from: n, time: c.now}
	r.HopCount--
	c.log.Debug("babel: forward seqno request", "prefix", k.dst, "peer", to.addr, "seqno", r.Seqno)
	c.unicastTLV(to, r, true)
}

// satisfyForwarded reports whether the new state of k answers a forwarded request.
func (c *core) satisfyForwarded(k routeKey, cur state) bool {
	p := c.forwarded[k]
	if p == nil {
		return false
	}
	if c.now.Sub(p.time) > requestLifetime {
		delete(c.forwarded, k)
		return false
	}
	if cur.present && cur.metric < inf && cur.rid == p.rid && !seqnoNewer(p.seqno, cur.seqno) {
		delete(c.forwarded, k)
		return true
	}
	return false
}
