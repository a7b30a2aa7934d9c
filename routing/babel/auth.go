package babel

import (
	"bytes"
	"net/netip"
	"time"

	"re6st-tui/routing/babel/wire"
)

// ifaceAuth is our RFC 8967 sending state on one interface.
type ifaceAuth struct {
	pc    uint32
	index []byte
}

// peerAuth is what we know of a neighbour's packet counters (§6.3).
type peerAuth struct {
	index     []byte
	pc        [2]uint32 // multicast, unicast
	havePC    [2]bool
	nonce     []byte // pending challenge
	nonceTime time.Time
	lastChal  time.Time // last Challenge Request sent
	lastReply time.Time // last Challenge Reply sent
}

const (
	challengeTimeout = 30 * time.Second
	challengeRate    = 300 * time.Millisecond
	challengeResend  = time.Second
)

func (c *core) keyed() bool { return c.cfg.Auth.Sign != nil }

// setAuth changes the keys at run time. Neighbours keep their packet
// counter state: a packet signed with any key we accept continues it.
// re6st rotates keys in three steps, each applied by every node before
// the next: sign old and accept new, sign new and accept old, sign new.
func (c *core) setAuth(a Auth) {
	c.cfg.Auth = a
	c.verifyKeys = nil
	if a.Sign != nil {
		c.verifyKeys = append([]wire.Key{*a.Sign}, a.Accept...)
	}
}

// authReserve is the room a PC TLV and a MAC trailer take.
func (c *core) authReserve() int {
	if !c.keyed() {
		return 0
	}
	return 2 + 12 + wire.TrailerSize(*c.cfg.Auth.Sign)
}

func (c *core) newIndex() []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(c.rng.Uint32())
	}
	return b
}

// seal finishes the packet in w: PC and MAC when keyed.
func (c *core) seal(ifc *iface, dst netip.Addr, w *wire.Writer) []byte {
	if !c.keyed() {
		return w.Bytes(nil)
	}
	if ifc.auth.index == nil || ifc.auth.pc == ^uint32(0) {
		// No wrap-around: a fresh index makes peers challenge us again.
		ifc.auth.index, ifc.auth.pc = c.newIndex(), 0
	}
	ifc.auth.pc++
	pkt := w.Bytes(&wire.PC{Counter: ifc.auth.pc, Index: ifc.auth.index})
	return wire.AppendMAC(pkt, *c.cfg.Auth.Sign, ifc.LinkLocal, dst)
}

// authenticate applies §6.3 to a received packet on a keyed speaker. It
// returns the neighbour (created when the packet may create one) and whether
// the packet's TLVs are to be processed.
func (c *core) authenticate(ifc *iface, n *neighbour, d Datagram, p *wire.Packet) (*neighbour, bool) {
	a := c.cfg.Auth
	if !p.Verify(d.Src, d.Dst, c.verifyKeys...) {
		c.stats.BadMAC++
		if a.AcceptBad {
			if n == nil {
				n = c.addNeighbour(ifc, d.Src)
			}
			return n, true
		}
		return n, false
	}
	unicast := !d.Dst.IsMulticast()
	var req []byte
	replied := false
	for _, t := range p.TLVs {
		switch t := t.(type) {
		case wire.ChallengeRequest:
			if unicast && req == nil {
				req = t.Nonce
			}
		case wire.ChallengeReply:
			if n != nil && n.auth.nonce != nil && c.now.Sub(n.auth.nonceTime) < challengeTimeout &&
				bytes.Equal(t.Nonce, n.auth.nonce) {
				replied = true
			}
		}
	}
	if n == nil {
		if p.PC == nil && req == nil {
			return nil, false
		}
		n = c.addNeighbour(ifc, d.Src)
	}
	accept, outOfOrder := false, false
	switch {
	case p.PC == nil:
	case replied:
		n.auth.index = append([]byte(nil), p.PC.Index...)
		n.auth.pc = [2]uint32{p.PC.Counter, p.PC.Counter}
		n.auth.havePC = [2]bool{true, true}
		n.auth.nonce = nil
		accept = true
	case !bytes.Equal(n.auth.index, p.PC.Index):
		c.challenge(n)
	default:
		slot := 0
		if unicast {
			slot = 1
		}
		if n.auth.havePC[slot] && p.PC.Counter <= n.auth.pc[slot] {
			outOfOrder = true
			c.stats.BadPC++
		} else {
			n.auth.pc[slot], n.auth.havePC[slot] = p.PC.Counter, true
			accept = true
		}
	}
	if req != nil && !outOfOrder && c.now.Sub(n.auth.lastReply) >= challengeRate {
		n.auth.lastReply = c.now
		c.unicastTLV(n, wire.ChallengeReply{Nonce: req}, true)
	}
	return n, accept
}

// challenge sends a Challenge Request to n, at most one per second. A
// pending nonce is re-sent rather than replaced: babeld rate-limits its
// replies, and a reply to a replaced nonce would be refused.
func (c *core) challenge(n *neighbour) {
	if c.now.Sub(n.auth.lastChal) < challengeResend {
		return
	}
	c.stats.Challenges++
	n.auth.lastChal = c.now
	if n.auth.nonce == nil || c.now.Sub(n.auth.nonceTime) >= challengeTimeout/2 {
		n.auth.nonce, n.auth.nonceTime = c.newIndex(), c.now
	}
	c.unicastTLV(n, wire.ChallengeRequest{Nonce: n.auth.nonce}, true)
}
