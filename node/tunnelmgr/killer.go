package tunnelmgr

import (
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
)

// Tunnel killer states: a tunnel is drained (cost ×4096) until Babel
// routes around it, then locked (cost ×0), then removed once both ends
// agree, so no packet is lost to a tunnel that vanishes under a route.
const (
	stateStart       = ""
	stateSoftLocking = "softLocking"
	stateHardLocking = "hardLocking"
	stateLocked      = "locked"
	stateUnlocking   = "unlocking"
)

const (
	drainMultiplier = 4096
	lockMultiplier  = 0
)

type killer struct {
	prefix   string
	client   bool // we are the client side of the tunnel
	state    string
	deadline time.Time
	// the neighbour whose multiplier we changed, and its original value
	neighbour NeighbourKey
	saved     uint16
}

func (m *Manager) startKiller(prefix string, client bool) {
	k := &killer{prefix: prefix, client: client, deadline: m.cfg.Now().Add(2 * m.cfg.Timeout)}
	m.killing[prefix] = k
	k.step(m, m.lastView)
}

// step advances the killer by one round.
func (k *killer) step(m *Manager, v view) {
	switch k.state {
	case stateStart:
		nb, ok := v.neighbourOn(k.prefix, m.tunnelIfaces(k.prefix, k.client))
		if !ok {
			return // Babel has not met the peer on the tunnel (yet): wait
		}
		k.neighbour, k.saved = nb.NeighbourKey, nb.CostMultiplier
		m.cfg.Routing.SetCostMultiplier(k.neighbour, drainMultiplier)
		k.enter(m, stateSoftLocking)
	case stateSoftLocking:
		if v.carries(k.neighbour) || v.unidentified {
			return // traffic still uses it
		}
		m.cfg.Routing.SetCostMultiplier(k.neighbour, lockMultiplier)
		k.enter(m, stateHardLocking)
	case stateHardLocking:
		nr := v.neighbours[k.neighbour]
		if nr == nil || nr.neighbour.CostMultiplier != lockMultiplier || v.carries(k.neighbour) {
			k.deadline = time.Time{} // give up at the next round
			return
		}
		k.enter(m, stateLocked)
		k.deadline = m.cfg.Now().Add(2 * m.cfg.Timeout)
		k.send(m)
	case stateLocked:
		// The message may have been dropped for want of a session: ask
		// again until the other side answers, or the deadline.
		k.send(m)
	}
}

func (k *killer) enter(m *Manager, state string) {
	m.cfg.Log.Debug("tunnel removal", "peer", identity.CN(k.prefix), "iface", k.neighbour.Iface, "from", k.state, "to", state)
	k.state = state
}

// send tells the other side that our end of the tunnel is locked: a
// request (code 2) from the client side, the answer (code 3) from the
// server side.
func (k *killer) send(m *Manager) {
	code, what := byte(peer.CodeKillResponse), "kill response sent"
	if k.client {
		code, what = peer.CodeKillRequest, "kill request sent"
	}
	m.cfg.Peers.SendTo(k.prefix, []byte{code})
	m.cfg.Log.Info(what, "peer", identity.CN(k.prefix), "iface", k.neighbour.Iface)
}

// tunnelIfaces are the interfaces of our tunnels with prefix on one side.
func (m *Manager) tunnelIfaces(prefix string, client bool) []string {
	if client {
		if c := m.conns[prefix]; c != nil {
			return []string{c.iface}
		}
		return nil
	}
	var out []string
	for iface := range m.served[prefix] {
		out = append(out, iface)
	}
	return out
}

// unlock restores the neighbour's cost multiplier.
func (k *killer) unlock(m *Manager) {
	if k.state != stateStart {
		m.cfg.Routing.SetCostMultiplier(k.neighbour, k.saved)
	}
}

// abort stops a removal in progress; iface "" matches any interface.
func (m *Manager) abortKiller(prefix, iface string) {
	k := m.killing[prefix]
	if k == nil {
		return
	}
	if k.state == stateStart {
		delete(m.killing, prefix)
		return
	}
	if (iface == "" || iface == k.neighbour.Iface) && k.state != stateUnlocking {
		k.state = stateUnlocking
		k.deadline = m.cfg.Now().Add(2 * m.cfg.Timeout)
	}
}

// rotateOne starts removing one client tunnel, so that tunnels move over
// time: the one that carries fewest routes, persistent neighbours last.
func (m *Manager) rotateOne(v view) {
	var candidates []string
	for p := range m.conns {
		if m.killing[p] == nil {
			candidates = append(candidates, p)
		}
	}
	threshold := min(2, m.cfg.ClientCount)
	if len(m.served) > 0 || !m.disconnected.IsZero() {
		threshold = m.cfg.ClientCount
	}
	if len(candidates) < threshold || len(candidates) == 0 || sameSet(candidates, m.neighbourSet) {
		return
	}
	best, bestScore := "", [2]int{}
	for i, p := range candidates {
		s := m.score(v, p)
		if i == 0 || less(s, bestScore) || (s == bestScore && p < best) {
			best, bestScore = p, s
		}
	}
	m.cfg.Log.Info("rotating tunnel out", "peer", identity.CN(best))
	m.startKiller(best, true)
}

// score: tunnels with no route through them first, then fewest routes,
// --neighbour peers last. The first element is -1 for "no route".
func (m *Manager) score(v view, prefix string) [2]int {
	n := v.routesVia(prefix)
	if n <= 0 {
		return [2]int{-1, 0}
	}
	nb := 0
	if m.neighbourSet[prefix] {
		nb = 1
	}
	return [2]int{nb, n}
}

func less(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

func sameSet(list []string, set map[string]bool) bool {
	if len(list) != len(set) {
		return false
	}
	for _, p := range list {
		if !set[p] {
			return false
		}
	}
	return true
}
