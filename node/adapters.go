package node

import (
	"context"
	"errors"
	"net/netip"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
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

// registryAdapter asks the registry for a bootstrap peer.
type registryAdapter struct{ n *Node }

func (r registryAdapter) BootstrapPeer(ctx context.Context) (string, string, error) {
	prefix, addrs, ok, err := r.n.reg.GetBootstrapPeer(ctx)
	if unknownToRegistry(err) {
		r.n.fatal = errNotEnrolled(err)
		return "", "", err
	}
	if err != nil || !ok {
		r.n.log.Warn("no bootstrap peer from the registry", "err", err)
		if err == nil {
			err = errors.New("the registry has no peer to offer")
		}
		return "", "", err
	}
	if prefix == r.n.id.Prefix {
		return "", "", errors.New("the registry offered our own address")
	}
	r.n.cache.AddPeer(ctx, prefix, addrs, false)
	return prefix, addrs, nil
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
