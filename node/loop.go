package node

import (
	"context"
	"net/netip"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/routing/babel"
	"re6st-tui/tunnels"
)

// netconfCheck is how often a node checks that its network config may be
// stale, as re6st's hourly check.
const netconfCheck = time.Hour

// loop is the node's single goroutine for protocol state: peer messages,
// tunnel events, the tunnel manager's rounds and commands all run here.
func (n *Node) loop(ctx context.Context) error {
	n.loopCtx = ctx
	round := time.NewTicker(refreshInterval)
	defer round.Stop()
	publish := time.NewTicker(time.Second)
	defer publish.Stop()
	babelEvents := n.speaker.Subscribe(ctx)
	n.nextCheck = time.Now().Add(netconfCheck)
	n.askCountries(ctx)
	n.round(ctx)
	for {
		var refetch <-chan time.Time
		if !n.refetch.IsZero() {
			refetch = time.After(time.Until(n.refetch))
		}
		var restart <-chan time.Time
		if !n.restartAt.IsZero() {
			restart = time.After(time.Until(n.restartAt))
		}
		var revoke <-chan time.Time
		if !n.revokeAt.IsZero() {
			revoke = time.After(time.Until(n.revokeAt))
		}
		select {
		case <-ctx.Done():
			return nil
		case d := <-n.incoming:
			n.send(n.proto.Receive(d.from, d.data))
		case ev, ok := <-n.tun.Events():
			if !ok {
				return nil
			}
			n.tunnelEvent(ctx, ev)
		case <-round.C:
			n.round(ctx)
		case <-publish.C:
			if n.dirty {
				n.refreshState()
			}
		case _, ok := <-babelEvents:
			if !ok {
				babelEvents = n.speaker.Subscribe(ctx)
			}
			n.dirty = true
		case f := <-n.cmds:
			f()
		case <-refetch:
			n.refetch = time.Time{}
			n.fetchConfig(nil)
		case f := <-n.fetches:
			n.fetchDone(ctx, f)
		case b := <-n.bootstraps:
			n.bootstrapDone(ctx, b)
		case <-revoke:
			n.revokeAt = time.Time{}
			n.dropRevoked(ctx)
		case <-restart:
			n.restarting = true
			return ErrRestart
		}
		if n.fatal != nil {
			n.log.Error("node stops", "err", n.fatal)
			return n.fatal
		}
	}
}

// round is the tunnel manager's periodic work.
func (n *Node) round(ctx context.Context) {
	now := time.Now()
	n.mgr.Refresh(ctx)
	for _, p := range n.proto.Forget(now) {
		n.log.Info("peer forgotten", "peer", identity.CN(p))
	}
	n.broadcastVersion()
	n.checkStale(now)
	n.refreshState()
}

// tunnelEvent follows what OpenVPN reports.
func (n *Node) tunnelEvent(ctx context.Context, ev tunnels.Event) {
	prefix, _ := identity.PrefixFromCN(ev.CN)
	switch ev.Kind {
	case tunnels.ServerUp:
		if err := n.addBabelInterface(ctx, ev.Tunnel, babel.Tunnel); err != nil {
			n.log.Error("babel on server tap", "iface", ev.Tunnel, "err", err)
		}
	case tunnels.PeerConnected:
		serial, _ := parseSerial(ev.Serial)
		if !n.mgr.ServerConnect(ctx, prefix, ev.Tunnel, serial) {
			// Admitted just before the CRL changed.
			n.disconnectRevoked(ctx)
		}
		n.servedRemote(ev, true)
	case tunnels.PeerDisconnected:
		n.mgr.ServerDisconnect(prefix, ev.Tunnel)
		n.forgetServed(prefix, ev.Tunnel)
		n.servedRemote(ev, false)
	case tunnels.Connected:
		if !n.babelIfaces[ev.Tunnel] {
			if err := n.addBabelInterface(ctx, ev.Tunnel, babel.Tunnel); err != nil {
				n.log.Error("babel on client tap", "iface", ev.Tunnel, "err", err)
			} else {
				n.babelIfaces[ev.Tunnel] = true
			}
		} else {
			n.speaker.SetInterfaceUp(ev.Tunnel, true)
		}
		n.mgr.ClientUp(ctx, prefix, ev.Time, n.peerSerial(prefix), n.addrIndex(prefix, ev))
		n.learnAddress(ev.ExternalIP)
	case tunnels.Failed, tunnels.Exited:
		if ev.Server {
			n.log.Error("tunnel server exited", "iface", ev.Tunnel, "reason", ev.Reason)
			break
		}
		if n.babelIfaces[ev.Tunnel] {
			// Babel hears of it at once, instead of after its hellos time out.
			n.speaker.SetInterfaceUp(ev.Tunnel, false)
		}
		if n.mgr.ClientExited(prefix, ev.Tunnel, ev.Time) {
			n.mgr.Refresh(ctx)
		}
	case tunnels.Stats:
		n.counters(ev)
		return
	}
	n.tunnelState(ev, prefix)
}

// forgetServed makes Babel forget at once the neighbour a served client
// was: the server's tap is shared and stays up, so without this the
// client's routes would linger until its Hellos time out.
func (n *Node) forgetServed(prefix, iface string) {
	subnet, err := n.id.CA.Subnet(prefix)
	if err != nil {
		return
	}
	k, err := n.speaker.FlushOrigin(iface, subnet)
	if err != nil {
		n.log.Debug("forget a served client's neighbour", "peer", identity.CN(prefix), "iface", iface, "err", err)
		return
	}
	if k > 0 {
		n.log.Debug("served client's neighbour forgotten", "peer", identity.CN(prefix), "iface", iface)
	}
}

// learnAddress adopts the address a server saw us coming from, for the
// families we learn.
func (n *Node) learnAddress(a netip.Addr) {
	if !a.IsValid() {
		return
	}
	a = a.Unmap()
	fam := 1
	if a.Is4() {
		fam = 0
	}
	if !n.learnIP[fam] {
		return
	}
	list := n.addressesFor(a.String(), fam == 1)
	if len(list) > 0 && (len(n.address[fam]) == 0 || n.address[fam][0].IP != a.String()) {
		n.address[fam] = list
		n.publishAddress()
		n.log.Info("our address as peers see it", "address", a)
	}
}

// peerSerial is the certificate serial a peer showed in its hello, 0 if
// unknown.
func (n *Node) peerSerial(prefix string) uint64 {
	s, _ := n.peerSerialKnown(prefix)
	return s
}

func (n *Node) peerSerialKnown(prefix string) (uint64, bool) {
	s := n.proto.Serial(prefix)
	if s == nil || !s.IsUint64() {
		return 0, false
	}
	return s.Uint64(), true
}

// addrIndex is the position, in the list given to Open, of the address
// the tunnel came up on.
func (n *Node) addrIndex(prefix string, ev tunnels.Event) int {
	addr, _, _ := n.cache.Address(n.loopCtx, prefix)
	list := parseAddrs(addr)
	for i, a := range list {
		if a.IP == ev.Remote.Addr().String() && a.Port == ev.Remote.Port() {
			return i
		}
	}
	return 0
}
