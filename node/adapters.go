package node

import (
	"context"
	"errors"
	"net/netip"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
	"re6st-tui/node/regclient"
	"re6st-tui/node/tunnelmgr"
	"re6st-tui/tunnels"
)

// routingAdapter shows the Babel speaker to the tunnel manager.
type routingAdapter struct{ n *Node }

func (r routingAdapter) Dump() tunnelmgr.Dump {
	snap, err := r.n.speaker.Snapshot()
	if err != nil {
		return tunnelmgr.Dump{}
	}
	var d tunnelmgr.Dump
	for _, nb := range snap.Neighbours {
		d.Neighbours = append(d.Neighbours, tunnelmgr.Neighbour{
			NeighbourKey:   tunnelmgr.NeighbourKey{Addr: nb.Addr, Iface: nb.Iface},
			CostMultiplier: nb.Multiplier,
		})
	}
	for _, rt := range snap.Routes {
		d.Routes = append(d.Routes, tunnelmgr.Route{Dst: rt.Prefix, RefMetric: rt.RefMetric,
			Via: tunnelmgr.NeighbourKey{Addr: rt.Via, Iface: rt.Iface}, Installed: rt.Installed})
	}
	return d
}

func (r routingAdapter) SetCostMultiplier(k tunnelmgr.NeighbourKey, m uint16) error {
	return r.n.speaker.SetCostMultiplier(k.Iface, k.Addr, m)
}

// tunnelAdapter opens client tunnels for the tunnel manager.
type tunnelAdapter struct{ n *Node }

func (t tunnelAdapter) Open(prefix string, addrs []peer.Address) (string, error) {
	var list []tunnels.Address
	for _, a := range addrs {
		ip, err := netip.ParseAddr(a.IP)
		if err != nil {
			continue // OpenVPN could resolve a name, but we dial literals only
		}
		proto, err := tunnels.ParseProto(a.Proto)
		if err != nil {
			continue
		}
		list = append(list, tunnels.Address{AddrPort: netip.AddrPortFrom(ip, a.Port), Proto: proto})
	}
	if len(list) == 0 {
		return "", errors.New("no usable address")
	}
	routed, err := t.n.routeRemotes(list)
	if err != nil {
		return "", err
	}
	iface, err := t.n.tun.Open(identity.CN(prefix), list)
	if err != nil {
		t.n.releaseRemotes(routed)
		return "", err
	}
	// The tunnel uses the first address that works; they share a family.
	t.n.tunnelProto[iface] = string(list[0].Proto)
	if routed != nil {
		t.n.remoteIPs[iface] = routed
	}
	return iface, nil
}

func (t tunnelAdapter) Close(iface string) error {
	if ips, ok := t.n.remoteIPs[iface]; ok {
		delete(t.n.remoteIPs, iface)
		defer t.n.releaseRemotes(ips)
	}
	return t.n.tun.Close(iface)
}

// peersAdapter sends peer-protocol messages for the tunnel manager.
type peersAdapter struct{ n *Node }

func (p peersAdapter) SendTo(prefix string, msg []byte) bool {
	connected := p.n.proto.Connected(prefix)
	p.n.send(p.n.proto.SendTo(prefix, msg))
	return connected && msg != nil
}

// registryAdapter asks the registry for bootstrap peers for the tunnel
// manager, off the loop: the answer comes back through n.bootstraps.
type registryAdapter struct{ n *Node }

// bootstrap is a registry's answer to getBootstrapPeer.
type bootstrap struct {
	prefix, addrs string
	err           error
}

func (r registryAdapter) AskBootstrapPeer() {
	ctx, reg, out := r.n.loopCtx, r.n.reg, r.n.bootstraps
	go func() {
		var b bootstrap
		b.prefix, b.addrs, b.err = getBootstrapPeer(ctx, reg)
		select {
		case out <- b:
		case <-ctx.Done():
		}
	}()
}

func getBootstrapPeer(ctx context.Context, reg *regclient.Client) (string, string, error) {
	prefix, addrs, ok, err := reg.GetBootstrapPeer(ctx)
	if err == nil && !ok {
		err = errors.New("the registry has no peer to offer")
	}
	return prefix, addrs, err
}

// bootstrapDone hands the registry's answer to the tunnel manager.
func (n *Node) bootstrapDone(ctx context.Context, b bootstrap) {
	if err := n.checkBootstrap(ctx, &b); err != nil {
		b.err = err
	}
	n.mgr.BootstrapAnswer(ctx, b.prefix, b.addrs, b.err)
}

// checkBootstrap vets a bootstrap answer and caches the peer.
func (n *Node) checkBootstrap(ctx context.Context, b *bootstrap) error {
	switch {
	case unknownToRegistry(b.err):
		n.fatal = errNotEnrolled(b.err)
		return b.err
	case b.err != nil:
		n.log.Warn("no bootstrap peer from the registry", "err", b.err)
		return b.err
	case b.prefix == n.id.Prefix:
		return errors.New("the registry offered our own address")
	}
	n.cache.AddPeer(ctx, b.prefix, b.addrs, false)
	return nil
}

func parseSerial(s string) (uint64, bool) {
	var v uint64
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}
