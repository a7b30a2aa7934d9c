package tunnelmgr

import (
	"context"
	"sort"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
)

// ClientUp records that the client tunnel to prefix is up (OpenVPN's
// route-up), at time at, with the server's certificate serial and through
// the address at index addrIndex of those given to Open.
func (m *Manager) ClientUp(ctx context.Context, prefix string, at time.Time, serial uint64, addrIndex int) {
	c := m.conns[prefix]
	if c == nil || at.Before(c.opened) {
		m.cfg.Log.Info("ignoring stale tunnel-up notice", "peer", identity.CN(prefix))
		return
	}
	if m.cfg.Revoked(serial) {
		m.kill(prefix)
		return
	}
	c.up, c.serial, c.upAddrIx = true, serial, addrIndex
	if addrIndex > 0 && addrIndex < len(c.addrs) {
		// Remember the address that worked as the peer's first choice.
		m.cfg.Cache.AddPeer(ctx, prefix, peer.FormatAddresses(c.addrs[addrIndex:addrIndex+1], false), true)
	} else {
		m.cfg.Cache.Connecting(ctx, prefix, false)
	}
}

// ClientExited records that the client tunnel to prefix on iface ended at
// time at. It reports whether the tunnel had been up, which calls for a new
// round at once. The end of a tunnel we closed ourselves may come after a
// new one to the same peer was opened, maybe on the same interface: that
// one stays.
func (m *Manager) ClientExited(prefix, iface string, at time.Time) (wasUp bool) {
	c := m.conns[prefix]
	if c == nil || c.iface != iface || at.Before(c.opened) {
		return false
	}
	m.abortKiller(prefix, "")
	delete(m.conns, prefix)
	m.cfg.Tunnels.Close(c.iface) // frees the interface; the process is gone
	return c.up
}

// ServerConnect decides on a client connecting to one of our servers. A
// revoked serial is refused. Between two nodes only the tunnel from the
// greater prefix to the smaller survives, so our own client tunnel to a
// greater prefix gives way.
func (m *Manager) ServerConnect(ctx context.Context, prefix, iface string, serial uint64) bool {
	if m.cfg.Revoked(serial) {
		return false
	}
	if m.served[prefix] == nil {
		m.served[prefix] = map[string]uint64{}
	}
	m.served[prefix][iface] = serial
	if m.conns[prefix] != nil && m.cfg.Prefix < prefix {
		m.kill(prefix)
		m.cfg.Cache.Connecting(ctx, prefix, false)
	}
	return true
}

// ServerDisconnect records that a served client left.
func (m *Manager) ServerDisconnect(prefix, iface string) {
	ifaces := m.served[prefix]
	if ifaces == nil {
		return
	}
	delete(ifaces, iface)
	if len(ifaces) == 0 {
		delete(m.served, prefix)
	}
	m.abortKiller(prefix, iface)
}

// KillRevoked closes the client tunnels whose server's serial is revoked,
// as OpenVPN reported it at connection or as the peer protocol knows it
// now, and returns their peers.
func (m *Manager) KillRevoked() []string {
	var gone []string
	for prefix, c := range m.conns {
		s, known := m.cfg.PeerSerial(prefix)
		if (c.serial != 0 && m.cfg.Revoked(c.serial)) || (known && m.cfg.Revoked(s)) {
			gone = append(gone, prefix)
		}
	}
	sort.Strings(gone)
	for _, prefix := range gone {
		m.cfg.Log.Info("closing tunnel to a revoked peer", "peer", identity.CN(prefix))
		m.kill(prefix)
	}
	return gone
}

// learnSerials makes sure a peer-protocol session exists with every peer
// we tunnel to whose certificate serial we do not know yet, so that its
// revocation can close the tunnel.
func (m *Manager) learnSerials() {
	for prefix, c := range m.conns {
		if c.up && c.serial == 0 {
			if s, ok := m.cfg.PeerSerial(prefix); ok {
				c.serial = s
			} else {
				m.cfg.Peers.SendTo(prefix, nil)
			}
		}
	}
}

// AddressAnswer handles a peer's address list (code 1 with data): it goes
// to the cache, and opens the tunnel when we had asked for it this round.
func (m *Manager) AddressAnswer(ctx context.Context, prefix, address string) {
	m.cfg.Cache.AddPeer(ctx, prefix, address, false)
	if m.asked[prefix] {
		delete(m.asked, prefix)
		m.makeTunnel(ctx, prefix, address)
	}
}

// KillRequest handles code 2: a client of ours asks to remove its tunnel,
// make-before-break: we drain our end too, then answer.
func (m *Manager) KillRequest(prefix string) {
	k := m.killing[prefix]
	switch {
	case m.served[prefix] == nil:
		m.cfg.Log.Info("kill request from a peer we do not serve: ignored", "peer", identity.CN(prefix))
	case k != nil:
		m.cfg.Log.Debug("kill request again", "peer", identity.CN(prefix), "state", k.state)
	default:
		m.cfg.Log.Info("kill request received: draining our end", "peer", identity.CN(prefix))
		m.startKiller(prefix, false)
	}
}

// KillResponse handles code 3: the server drained its end as well; our
// locked tunnel goes.
func (m *Manager) KillResponse(prefix string) {
	k := m.killing[prefix]
	if k == nil || !k.client || k.state != stateLocked {
		m.cfg.Log.Info("kill response ignored: no locked tunnel to that peer", "peer", identity.CN(prefix))
		return
	}
	m.cfg.Log.Info("kill response received: tunnel removed make-before-break", "peer", identity.CN(prefix))
	m.kill(prefix)
}

// Why a bootstrap peer was asked for.
const (
	askPartition = "partition" // routes to some nodes, not to the registry
	askAlone     = "alone"     // routes to nobody, and nothing cached
)

// askBootstrap asks the registry for a bootstrap peer, unless a request
// is under way.
func (m *Manager) askBootstrap(why string) {
	if m.asking != "" {
		return
	}
	m.asking = why
	m.cfg.Registry.AskBootstrapPeer()
}

// BootstrapAnswer takes the registry's answer to AskBootstrapPeer: a peer
// (prefix and address list), or err. A node in a partition opens a tunnel
// to a peer it has no route to, then tries its cache; without an answer it
// assumes it is connected after all. A node alone tries the peer, or else
// a cached address that failed before.
func (m *Manager) BootstrapAnswer(ctx context.Context, prefix, address string, err error) {
	why := m.asking
	m.asking = ""
	v := m.lastView
	count := m.cfg.ClientCount - len(m.conns)
	if why == askAlone && err == nil && prefix != "" {
		// The registry answers: only its peers may turn us away, so the
		// next try need not wait longer.
		m.aloneTries = 0
	}
	switch {
	case err != nil || prefix == "":
		if why == askAlone {
			m.tryFailed(ctx)
		}
		return
	case !v.routed[prefix] && count > 0:
		if m.makeTunnel(ctx, prefix, address) {
			count--
		}
	}
	if why == askPartition && count > 0 {
		m.fromCache(ctx, v, count)
	}
}
