package node

import (
	"context"
	"net/netip"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/netconf"
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
		case ev, ok := <-babelEvents:
			if !ok || ev.Kind == babel.FellBehind {
				babelEvents = n.speaker.Subscribe(ctx)
			}
			n.dirty = true
		case f := <-n.cmds:
			f()
		case <-refetch:
			n.refetch = time.Time{}
			n.fetchConfig(ctx)
		case <-restart:
			return ErrRestart
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
	if now.After(n.nextCheck) {
		n.nextCheck = now.Add(netconfCheck)
		n.checkStale(ctx)
	}
	n.refreshState()
}

// checkStale fetches the network config when two hourly checks in a row
// found the registry unreachable, in case we missed a change.
func (n *Node) checkStale(ctx context.Context) {
	if n.net.RegistryPrefix == n.id.Prefix {
		return
	}
	stale := n.mgr.Disconnected()
	if stale && n.staleOnce {
		n.fetchConfig(ctx)
	}
	n.staleOnce = stale
}

// fetchConfig gets the network config and applies what changed.
func (n *Node) fetchConfig(ctx context.Context) {
	cfg, changed, delay, err := fetchNetworkConfig(ctx, n.reg, n.cache, n.id)
	if err != nil {
		n.log.Warn("cannot fetch the network config; retrying in 5 minutes", "err", err)
		n.refetch = time.Now().Add(5 * time.Minute)
		n.setRegistry(false, err)
		return
	}
	n.setRegistry(true, nil)
	if len(changed) == 0 {
		return
	}
	n.log.Info("network config changed", "keys", changed)
	n.net = cfg
	n.proto.SetVersion(cfg.Version)
	n.send(n.proto.BroadcastVersion(n.directNeighbours()))
	n.mgr.KillRevoked()
	n.proto.Forget(time.Now())
	ownRevoked := n.id.Cert.SerialNumber.IsUint64() && cfg.Revoked(n.id.Cert.SerialNumber.Uint64())
	if ownRevoked || netconf.MustRestart(changed, n.clientCount() > 0) || cfg.MinProtocol > 10 || n.mgr.ServedRevoked() {
		// Leave a second for the new version to reach the neighbours.
		n.restartAt = time.Now().Add(time.Second + time.Duration(delay)*time.Second)
		n.log.Info("restarting for the new network config", "in", time.Until(n.restartAt).Round(time.Second))
	}
}

// directNeighbours are the prefixes of the nodes at the other end of our
// links, per Babel.
func (n *Node) directNeighbours() []string {
	d := routingAdapter{n}.Dump()
	var out []string
	seen := map[string]bool{}
	for _, r := range d.Routes {
		if r.RefMetric != 0 {
			continue
		}
		bits := identity.BitsFromAddr(r.Dst.Addr(), r.Dst.Bits())
		if len(bits) > len(n.id.CA.Network) && bits[:len(n.id.CA.Network)] == n.id.CA.Network {
			p := bits[len(n.id.CA.Network):]
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
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
		n.mgr.ServerConnect(ctx, prefix, ev.Tunnel, serial)
	case tunnels.PeerDisconnected:
		n.mgr.ServerDisconnect(prefix, ev.Tunnel)
		n.forgetServed(prefix, ev.Tunnel)
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
		if n.mgr.ClientExited(prefix) {
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

// peerSerial is the certificate serial a peer showed in its hello.
func (n *Node) peerSerial(prefix string) uint64 {
	for _, p := range n.proto.Peers() {
		if p.Prefix == prefix && p.Serial != nil && p.Serial.IsUint64() {
			return p.Serial.Uint64()
		}
	}
	return 0
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
