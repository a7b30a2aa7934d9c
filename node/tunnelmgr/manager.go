package tunnelmgr

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"re6st-tui/node/cache"
	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
)

// Routing is the node's Babel speaker, as the manager uses it.
type Routing interface {
	Dump() Dump
	SetCostMultiplier(n NeighbourKey, m uint16) error
}

// Tunnels starts and stops client tunnels.
type Tunnels interface {
	// Open starts a client tunnel to the peer, trying addrs in order, and
	// returns its interface name.
	Open(prefix string, addrs []peer.Address) (iface string, err error)
	Close(iface string) error
}

// Peers sends peer-protocol messages.
type Peers interface {
	// SendTo sends a message (nil: just set up a session) and reports
	// whether it left as data, i.e. a session was up.
	SendTo(prefix string, msg []byte) bool
}

// Cache is the peer cache.
type Cache interface {
	Address(ctx context.Context, prefix string) (string, bool, error)
	AddPeer(ctx context.Context, prefix, address string, preferred bool) error
	Connecting(ctx context.Context, prefix string, trying bool) error
	Peers(ctx context.Context, failed bool) ([]cache.Peer, error)
}

// Registry gives a peer to bootstrap from. It answers later, through
// [Manager.BootstrapAnswer]: a registry that drops packets takes an HTTP
// timeout to fail, which the node's loop must not wait for.
type Registry interface {
	AskBootstrapPeer()
}

// Config is the manager's fixed setup.
type Config struct {
	Network       string // network bits
	Prefix        string // our prefix
	ClientCount   int
	Timeout       time.Duration // 4 × hello
	TunnelRefresh time.Duration
	Disabled      []string // protocols never tunnelled over
	Neighbours    []string // --neighbour prefixes, kept directly tunnelled
	Countries     Countries
	// RegistryPrefix and Revoked read the live network config.
	RegistryPrefix func() string
	Revoked        func(serial uint64) bool
	// PeerSerial is the certificate serial a peer last showed the peer
	// protocol, if known: OpenVPN does not tell a client the serial of
	// the server it reached. nil: unknown.
	PeerSerial func(prefix string) (uint64, bool)

	Routing  Routing
	Tunnels  Tunnels
	Peers    Peers
	Cache    Cache
	Registry Registry
	Now      func() time.Time
	Rand     *rand.Rand
	Log      *slog.Logger
}

// connection is an outgoing tunnel.
type connection struct {
	iface    string
	addrs    []peer.Address
	opened   time.Time
	up       bool
	serial   uint64
	upAddrIx int
}

// Manager keeps the node's client tunnels. Its methods are not safe for
// concurrent use: the node calls them from its event loop.
type Manager struct {
	cfg          Config
	neighbourSet map[string]bool
	conns        map[string]*connection       // by peer prefix
	served       map[string]map[string]uint64 // prefix → iface → serial
	killing      map[string]*killer
	asked        map[string]bool // peers asked for their address this round
	disconnected time.Time       // zero: the registry is reachable
	aloneTries   int             // bootstraps in a row while routing to nobody
	// asking says why a bootstrap peer was asked for and not answered
	// yet: askPartition, askAlone, or "" when none was.
	asking string
	// short is why the last round left client tunnels missing, as logged.
	short        string
	rotationFrom time.Time // when the tunnel_refresh period under way began
	nextRotation time.Time
	lastView     view
}

// New returns a manager with no tunnel.
func New(cfg Config) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.PeerSerial == nil {
		cfg.PeerSerial = func(string) (uint64, bool) { return 0, false }
	}
	m := &Manager{
		cfg:          cfg,
		neighbourSet: map[string]bool{},
		conns:        map[string]*connection{},
		served:       map[string]map[string]uint64{},
		killing:      map[string]*killer{},
		asked:        map[string]bool{},
	}
	for _, p := range cfg.Neighbours {
		m.neighbourSet[p] = true
	}
	m.resetRotation()
	return m
}

func (m *Manager) resetRotation() {
	m.rotationFrom = m.cfg.Now()
	m.nextRotation = m.rotationFrom.Add(m.cfg.TunnelRefresh)
}

// SetTunnelRefresh applies a new tunnel_refresh at once: the period under
// way now ends d after it began (re6st restarts the node for this).
func (m *Manager) SetTunnelRefresh(d time.Duration) {
	m.cfg.TunnelRefresh = d
	m.nextRotation = m.rotationFrom.Add(d)
}

// DirectNeighbours returns the prefixes of the nodes at the other end of
// our links, as the last round identified them.
func (m *Manager) DirectNeighbours() []string {
	out := make([]string, 0, len(m.lastView.owner))
	for p := range m.lastView.owner {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Refresh is the manager's periodic round (every 5 s): it advances the
// tunnel killers, rotates a tunnel when tunnel_refresh is due, and opens
// the tunnels still missing.
func (m *Manager) Refresh(ctx context.Context) {
	now := m.cfg.Now()
	v := readDump(m.cfg.Routing.Dump(), m.cfg.Network)
	m.lastView = v
	for prefix, k := range m.killing {
		if k.deadline.Before(now) {
			if k.state != stateUnlocking {
				m.cfg.Log.Info("tunnel removal aborted", "peer", identity.CN(prefix), "state", k.state)
			}
			k.unlock(m)
			delete(m.killing, prefix)
			continue
		}
		k.step(m, v)
	}
	m.learnSerials()
	if m.nextRotation.Before(now) {
		m.rotateOne(v)
		m.resetRotation()
	}
	m.makeTunnels(ctx, v)
}

// Tunnels returns the peers we have client tunnels to, by interface.
func (m *Manager) Tunnels() map[string]string {
	out := map[string]string{}
	for p, c := range m.conns {
		out[c.iface] = p
	}
	return out
}

// Served returns the peers connected to our servers.
func (m *Manager) Served() []string {
	var out []string
	for p := range m.served {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// HasTunnel reports whether a tunnel to or from prefix is open or on its
// way.
func (m *Manager) HasTunnel(prefix string) bool {
	return m.conns[prefix] != nil || m.served[prefix] != nil
}

// Disconnected reports whether the registry node looked unreachable at the
// last round.
func (m *Manager) Disconnected() bool { return !m.disconnected.IsZero() }

// makeTunnels opens client_count − open tunnels.
func (m *Manager) makeTunnels(ctx context.Context, v view) {
	if len(v.routed) > 0 {
		m.aloneTries = 0
	}
	count := m.cfg.ClientCount - len(m.conns)
	if count <= 0 {
		m.short = ""
		return
	}
	// Peers that did not answer last round's address request are
	// forgotten: late answers only fill the cache.
	clear(m.asked)
	now := m.cfg.Now()
	distant := v.distant()
	m.sortByScore(distant)
	registry := m.cfg.RegistryPrefix()
	useCache := false
	switch {
	case registry == m.cfg.Prefix:
		useCache = len(distant) == 0 // recover fast: try the cache
	case v.routed[registry] || m.conns[registry] != nil || m.served[registry] != nil:
		m.disconnected = time.Time{}
		m.cfg.Peers.SendTo(registry, nil) // so that the registry can ask us
	case len(v.routed) == 0 && m.connecting():
		// Alone, with a tunnel on its way: wait for it.
		return
	case m.disconnected.Before(now):
		m.cfg.Log.Info("no route to the registry", "routed", len(v.routed), "distant", len(distant))
		m.disconnected = now.Add(m.backoff(len(v.routed)))
		useCache = true
		if len(v.routed) > 0 {
			// Part of a partition: ask the registry for a way back, and
			// until it answers, carry on as if connected after all.
			m.askBootstrap(askPartition)
			useCache = false
		}
	}
	if !useCache {
		if len(m.served) == 0 {
			// Nobody reached our servers: we are probably not reachable,
			// so keep a small number of tunnels.
			count = max(0, min(2, m.cfg.ClientCount)-len(m.conns))
		}
		candidates := len(distant)
		defer func() { m.tellShort(count, candidates, len(v.routed)) }()
		for count > 0 && len(distant) > 0 {
			p := distant[len(distant)-1]
			distant = distant[:len(distant)-1]
			if addr, ok, _ := m.cfg.Cache.Address(ctx, p); ok {
				if m.makeTunnel(ctx, p, addr) {
					count--
				}
			} else if m.cfg.Peers.SendTo(p, []byte{peer.CodeAddress}) {
				m.asked[p] = true
				count--
			}
		}
		return
	}
	m.fromCache(ctx, v, count)
}

// tellShort logs, once until it changes, why a round left the node missing
// client tunnels: a node that stays short says why in its log.
func (m *Manager) tellShort(missing, distant, routed int) {
	why := ""
	switch {
	case missing <= 0:
	case distant == 0:
		why = "every node routed to is a direct neighbour"
	default:
		why = "no distant peer could be tunnelled to or asked for its address"
	}
	if why != m.short {
		m.short = why
		if why != "" {
			m.cfg.Log.Info("fewer client tunnels than wanted", "missing", missing, "why", why, "routed", routed, "distant", distant)
		}
	}
}

// backoff is how long to wait before bootstrapping again when the registry
// is not routed. In a partition it is re6st's timeout × (1 + random in
// [0, routed]), so that partitions do not all ask at once. A node that
// reaches nobody has nothing to wait for: at a cold start most nodes ask
// the registry together and get its own node, whose servers turn away
// those beyond max_clients; they ask again soon, after an eighth of the
// timeout, doubling up to the whole of it while the registry fails.
func (m *Manager) backoff(routed int) time.Duration {
	if routed > 0 {
		return m.cfg.Timeout * time.Duration(1+m.cfg.Rand.IntN(routed+1))
	}
	m.aloneTries++
	return min(m.cfg.Timeout, m.cfg.Timeout/8<<(m.aloneTries-1))
}

// connecting reports whether a client tunnel is still coming up.
func (m *Manager) connecting() bool {
	for _, c := range m.conns {
		if !c.up {
			return true
		}
	}
	return false
}

// fromCache opens tunnels to cached peers we have no route to, and
// bootstraps from the registry when the cache has nothing.
func (m *Manager) fromCache(ctx context.Context, v view, count int) {
	peers, _ := m.cfg.Cache.Peers(ctx, false)
	opened, candidates := 0, false
	for _, p := range peers {
		if v.routed[p.Prefix] {
			continue
		}
		candidates = true
		if m.makeTunnel(ctx, p.Prefix, p.Address) {
			if opened++; opened == count {
				return
			}
		}
	}
	if opened > 0 || len(v.routed) > 0 {
		return
	}
	if !candidates && m.cfg.RegistryPrefix() != m.cfg.Prefix {
		m.askBootstrap(askAlone) // its answer decides what next
		return
	}
	m.tryFailed(ctx)
}

// tryFailed is the last chance of a node alone: a cached address that
// failed before.
func (m *Manager) tryFailed(ctx context.Context) {
	failed, _ := m.cfg.Cache.Peers(ctx, true)
	for _, p := range failed {
		if m.makeTunnel(ctx, p.Prefix, p.Address) {
			return
		}
	}
}

// sortByScore orders peers so that the best candidates are last:
// --neighbour peers first, random otherwise.
func (m *Manager) sortByScore(peers []string) {
	score := map[string]float64{}
	for _, p := range peers {
		s := m.cfg.Rand.Float64()
		if m.neighbourSet[p] {
			s++
		}
		score[p] = s
	}
	sort.Slice(peers, func(i, j int) bool { return score[peers[i]] < score[peers[j]] })
}

// makeTunnel opens a client tunnel unless one exists either way.
func (m *Manager) makeTunnel(ctx context.Context, prefix, address string) bool {
	if m.served[prefix] != nil || m.conns[prefix] != nil || prefix == m.cfg.Prefix {
		return false
	}
	list, _ := peer.ParseAddresses(address)
	var usable []peer.Address
	for _, a := range list {
		if !slices.Contains(m.cfg.Disabled, a.Proto) {
			usable = append(usable, m.sameCountry(ctx, prefix, a)...)
		}
	}
	m.cfg.Cache.Connecting(ctx, prefix, true)
	if len(usable) == 0 {
		return false
	}
	iface, err := m.cfg.Tunnels.Open(prefix, usable)
	if err != nil {
		m.cfg.Log.Warn("cannot open tunnel", "peer", identity.CN(prefix), "err", err)
		return false
	}
	m.cfg.Log.Info("tunnel opened", "peer", identity.CN(prefix), "iface", iface)
	m.conns[prefix] = &connection{iface: iface, addrs: usable, opened: m.cfg.Now()}
	m.resetRotation()
	return true
}

// kill closes our client tunnel to prefix.
func (m *Manager) kill(prefix string) {
	c := m.conns[prefix]
	if c == nil {
		return
	}
	m.abortKiller(prefix, "")
	delete(m.conns, prefix)
	if err := m.cfg.Tunnels.Close(c.iface); err != nil {
		m.cfg.Log.Warn("close tunnel", "peer", identity.CN(prefix), "iface", c.iface, "err", err)
	}
	m.cfg.Log.Info("tunnel closed", "peer", identity.CN(prefix), "iface", c.iface)
}

// Kill closes a client tunnel on request (the UI's kill key).
func (m *Manager) Kill(prefix string) bool {
	if m.conns[prefix] == nil {
		return false
	}
	m.kill(prefix)
	return true
}

// Connect opens a tunnel to a peer on request, from its cached address.
func (m *Manager) Connect(ctx context.Context, prefix string) bool {
	addr, ok, _ := m.cfg.Cache.Address(ctx, prefix)
	if !ok {
		m.cfg.Peers.SendTo(prefix, []byte{peer.CodeAddress})
		m.asked[prefix] = true
		return false
	}
	return m.makeTunnel(ctx, prefix, addr)
}
