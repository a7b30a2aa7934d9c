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
		nr := v.byPrefix[k.prefix]
		if nr == nil {
			return // not a direct neighbour (yet): wait
		}
		k.neighbour, k.saved = nr.neighbour.NeighbourKey, nr.neighbour.CostMultiplier
		m.cfg.Routing.SetCostMultiplier(k.neighbour, drainMultiplier)
		k.state = stateSoftLocking
	case stateSoftLocking:
		if v.byPrefix[k.prefix] != nil || v.unidentified {
			return // traffic still uses it
		}
		m.cfg.Routing.SetCostMultiplier(k.neighbour, lockMultiplier)
		k.state = stateHardLocking
	case stateHardLocking:
		if !v.locked[k.neighbour] {
			k.deadline = time.Time{} // give up at the next round
			return
		}
		k.state = stateLocked
		k.deadline = m.cfg.Now().Add(2 * m.cfg.Timeout)
		code := byte(peer.CodeKillResponse)
		if k.client {
			code = peer.CodeKillRequest
		}
		m.cfg.Peers.SendTo(k.prefix, []byte{code})
	}
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
