package tunnelmgr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/cache"
	"re6st-tui/node/peer"
)

// The network is 2001:db8:42::/48 and prefixes are 16 bits.
const network = "001000000000000100001101101110000000000001000010"

func pfx(n int) string { return fmt.Sprintf("%016b", n) }

func dst(p string) netip.Prefix {
	bits := network + p
	var b [16]byte
	for i := range bits {
		if bits[i] == '1' {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), len(bits))
}

type fakeRouting struct {
	dump  Dump
	mults map[NeighbourKey]uint16
}

func (f *fakeRouting) Dump() Dump { return f.dump }
func (f *fakeRouting) SetCostMultiplier(n NeighbourKey, m uint16) error {
	f.mults[n] = m
	for i := range f.dump.Neighbours {
		if f.dump.Neighbours[i].NeighbourKey == n {
			f.dump.Neighbours[i].CostMultiplier = m
		}
	}
	return nil
}

type fakeTunnels struct {
	open   map[string]string // iface → prefix
	addrs  map[string][]peer.Address
	next   int
	reuse  bool // the next Open gets the last interface again
	closed []string
}

func (f *fakeTunnels) Open(prefix string, addrs []peer.Address) (string, error) {
	if !f.reuse {
		f.next++
	}
	iface := fmt.Sprintf("re6stnet%d", f.next)
	f.open[iface] = prefix
	f.addrs[prefix] = addrs
	return iface, nil
}

func (f *fakeTunnels) Close(iface string) error {
	f.closed = append(f.closed, f.open[iface])
	delete(f.open, iface)
	return nil
}

// ifaceOf returns the interface of the open tunnel to prefix.
func (f *fakeTunnels) ifaceOf(prefix string) string {
	for iface, p := range f.open {
		if p == prefix {
			return iface
		}
	}
	return ""
}

func (f *fakeTunnels) peers() []string {
	var out []string
	for _, p := range f.open {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

type fakePeers struct {
	connected map[string]bool
	sent      []string
	sessions  []string // peers asked for a session only
}

func (f *fakePeers) SendTo(prefix string, msg []byte) bool {
	if msg != nil {
		f.sent = append(f.sent, fmt.Sprintf("%s:%d", prefix, msg[0]))
	} else {
		f.sessions = append(f.sessions, prefix)
	}
	return f.connected[prefix]
}

// fakeRegistry answers bootstrap requests with prefix and addr (or err)
// when the test delivers them (env.refresh).
type fakeRegistry struct {
	prefix, addr string
	err          error
	calls        int
	pending      bool
}

func (f *fakeRegistry) AskBootstrapPeer() {
	f.calls++
	f.pending = true
}

type env struct {
	m     *Manager
	rt    *fakeRouting
	tun   *fakeTunnels
	peers *fakePeers
	reg   *fakeRegistry
	cache *cache.Cache
	now   time.Time
}

func newEnv(t *testing.T, clientCount int) *env {
	t.Helper()
	c, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"), pfx(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e := &env{
		rt:    &fakeRouting{mults: map[NeighbourKey]uint16{}},
		tun:   &fakeTunnels{open: map[string]string{}, addrs: map[string][]peer.Address{}},
		peers: &fakePeers{connected: map[string]bool{}},
		reg:   &fakeRegistry{},
		cache: c,
		now:   time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	}
	e.m = New(Config{
		Network: network, Prefix: pfx(1), ClientCount: clientCount,
		Timeout: 60 * time.Second, TunnelRefresh: 300 * time.Second,
		Disabled:       []string{"udp", "udp6"},
		RegistryPrefix: func() string { return pfx(0) },
		Revoked:        func(s uint64) bool { return s == 666 },
		Routing:        e.rt, Tunnels: e.tun, Peers: e.peers, Cache: c, Registry: e.reg,
		Now: func() time.Time { return e.now }, Rand: rand.New(rand.NewPCG(1, 2)),
	})
	return e
}

// refresh runs a round of the manager, then hands it the registry's
// answer if it asked for a bootstrap peer.
func (e *env) refresh(ctx context.Context) {
	e.m.Refresh(ctx)
	if e.reg.pending {
		e.reg.pending = false
		e.m.BootstrapAnswer(ctx, e.reg.prefix, e.reg.addr, e.reg.err)
	}
}

// neighbour returns a Babel neighbour on iface.
func neighbour(iface string, n int) Neighbour {
	return Neighbour{NeighbourKey{netip.MustParseAddr(fmt.Sprintf("fe80::%d", n)), iface}, 1}
}

// routes builds a dump where the neighbour on iface owns prefix owner and
// routes the given destinations.
func (e *env) addNeighbour(iface string, n int, owner string, via ...string) NeighbourKey {
	nb := neighbour(iface, n)
	e.rt.dump.Neighbours = append(e.rt.dump.Neighbours, nb)
	if owner != "" {
		e.rt.dump.Routes = append(e.rt.dump.Routes, Route{Dst: dst(owner), RefMetric: 0, Via: nb.NeighbourKey, Installed: true})
	}
	for _, p := range via {
		e.rt.dump.Routes = append(e.rt.dump.Routes, Route{Dst: dst(p), RefMetric: 96, Via: nb.NeighbourKey, Installed: true})
	}
	return nb.NeighbourKey
}

func (e *env) cachePeer(t *testing.T, p, addr string) {
	if err := e.cache.AddPeer(context.Background(), p, addr, false); err != nil {
		t.Fatal(err)
	}
}

func TestOpensTunnelsToDistantPeers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 3)
	e.addNeighbour("re6stnet-tcp", 1, pfx(0), pfx(2), pfx(3), pfx(4), pfx(5))
	e.m.ServerConnect(ctx, pfx(0), "re6stnet-tcp", 1) // someone reaches our server
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,udp;198.18.0.13,1195,tcp")
	e.peers.connected[pfx(4)] = true
	e.refresh(ctx)
	got := e.tun.peers()
	if !slices.Equal(got, []string{pfx(2), pfx(3)}) {
		t.Errorf("tunnels to %v, want the two cached peers", got)
	}
	if a := e.tun.addrs[pfx(3)]; len(a) != 1 || a[0].Proto != "tcp" {
		t.Errorf("addresses for %s = %v: disabled udp must be dropped", pfx(3), a)
	}
	if !slices.Contains(e.peers.sent, pfx(4)+":1") {
		t.Errorf("sent %v, want an address request to the uncached peer with a session", e.peers.sent)
	}
	// Its answer opens the third tunnel.
	e.m.AddressAnswer(ctx, pfx(4), "198.18.0.14,1194,tcp")
	if n := len(e.tun.open); n != 3 {
		t.Errorf("%d tunnels after the address answer, want 3", n)
	}
}

func TestUnreachableNodeKeepsFewTunnels(t *testing.T) {
	e := newEnv(t, 4)
	e.addNeighbour("re6stnet1", 1, pfx(0), pfx(2), pfx(3), pfx(4), pfx(5))
	for i := 2; i <= 5; i++ {
		e.cachePeer(t, pfx(i), fmt.Sprintf("198.18.0.%d,1194,tcp", 10+i))
	}
	e.refresh(context.Background())
	if n := len(e.tun.open); n != 2 {
		t.Errorf("%d tunnels while nobody reached our server, want 2", n)
	}
}

func TestBootstrapFromCacheThenRegistry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	e.reg.prefix, e.reg.addr = pfx(7), "198.18.0.17,1194,tcp"
	e.refresh(ctx)
	if !slices.Equal(e.tun.peers(), []string{pfx(7)}) || e.reg.calls != 1 {
		t.Fatalf("empty cache: tunnels %v after %d registry calls, want the bootstrap peer", e.tun.peers(), e.reg.calls)
	}
	if !e.m.Disconnected() {
		t.Error("not marked disconnected without a route to the registry")
	}
	// Once the registry is routed, we are connected.
	e.addNeighbour("re6stnet1", 1, pfx(7), pfx(0))
	e.refresh(ctx)
	if e.m.Disconnected() {
		t.Error("still disconnected with a route to the registry")
	}
}

func TestNodeAloneBootstrapsAgainSoon(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2) // timeout 60 s
	e.reg.prefix, e.reg.addr = pfx(7), "198.18.0.17,1194,tcp"
	round := func() { e.now = e.now.Add(5 * time.Second); e.refresh(ctx) }
	e.refresh(ctx)
	if e.reg.calls != 1 {
		t.Fatalf("%d registry calls at the first round, want 1", e.reg.calls)
	}
	round() // the tunnel is still coming up: no second bootstrap
	if e.reg.calls != 1 || len(e.tun.open) != 1 {
		t.Fatalf("while the first tunnel connects: %d registry calls, %d tunnels", e.reg.calls, len(e.tun.open))
	}
	// The bootstrap peer's server turns us away, again and again: the
	// registry answers, so we ask it again after an eighth of the timeout
	// each time.
	for try := 2; try <= 4; try++ {
		e.m.ClientExited(pfx(7), e.tun.ifaceOf(pfx(7)), e.now)
		round()
		round()
		if e.reg.calls != try {
			t.Fatalf("%d registry calls 10 s after bootstrap tunnel %d failed, want %d", e.reg.calls, try-1, try)
		}
	}
	// The registry fails: then the wait doubles, up to the timeout:
	// 7.5 s, then 15 s.
	e.reg.err = errors.New("registry unreachable")
	e.m.ClientExited(pfx(7), e.tun.ifaceOf(pfx(7)), e.now)
	round()
	round() // asks, and gets the error
	calls := e.reg.calls
	round()
	round()
	if e.reg.calls != calls+1 {
		t.Fatalf("%d registry calls 10 s after the registry failed, want %d", e.reg.calls, calls+1)
	}
	round()
	round()
	if e.reg.calls != calls+1 {
		t.Fatalf("asked a failing registry again before the back-off grew: %d calls, want %d", e.reg.calls, calls+1)
	}
	round()
	if e.reg.calls != calls+2 {
		t.Fatalf("%d registry calls 15 s after the registry failed twice, want %d", e.reg.calls, calls+2)
	}
}

func TestPartitionKeepsRe6stBackoff(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	e.reg.prefix, e.reg.addr = pfx(7), "198.18.0.17,1194,tcp"
	e.addNeighbour("re6stnet1", 1, pfx(2), pfx(3)) // a partition without the registry
	e.refresh(ctx)
	calls := e.reg.calls
	for range 11 { // 55 s < the 60 s timeout
		e.now = e.now.Add(5 * time.Second)
		e.refresh(ctx)
	}
	if e.reg.calls != calls {
		t.Errorf("%d registry calls within the timeout in a partition, want %d", e.reg.calls, calls)
	}
}

func TestCachedPeersTriedWhenCutOff(t *testing.T) {
	e := newEnv(t, 2)
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
	e.refresh(context.Background())
	if got := e.tun.peers(); !slices.Equal(got, []string{pfx(2), pfx(3)}) || e.reg.calls != 0 {
		t.Errorf("tunnels %v, registry calls %d: want both cached peers, no bootstrap", got, e.reg.calls)
	}
}

func TestOneTunnelBetweenTwoNodes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1)
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.refresh(ctx)
	if len(e.tun.open) != 1 {
		t.Fatal("no tunnel")
	}
	// The greater prefix connects to us: our tunnel to it gives way.
	if !e.m.ServerConnect(ctx, pfx(2), "re6stnet-tcp", 2) {
		t.Fatal("client refused")
	}
	if len(e.tun.open) != 0 || !slices.Equal(e.tun.closed, []string{pfx(2)}) {
		t.Errorf("open %v, closed %v: our client tunnel should have gone", e.tun.open, e.tun.closed)
	}
	if e.m.ServerConnect(ctx, pfx(3), "re6stnet-tcp", 666) {
		t.Error("revoked serial accepted")
	}
}

// rotationDue opens client tunnels to pfx(2) and pfx(3) on a node that
// serves pfx(0), and lets tunnel_refresh pass. Babel's view then has
// pfx(2) at the end of its tunnel (owning only its prefix, a route Babel
// uses only if used is set; else it prefers the path through pfx(0)) and
// pfx(3) carrying three routes: pfx(2) is the one to rotate out.
func rotationDue(t *testing.T, used bool) (e *env, n2 NeighbourKey) {
	ctx := context.Background()
	e = newEnv(t, 2)
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
	e.m.ServerConnect(ctx, pfx(0), "re6stnet-tcp", 1)
	e.addNeighbour("re6stnet-tcp", 9, pfx(0), pfx(2), pfx(3))
	e.refresh(ctx)
	ifaces := map[string]string{}
	for iface, p := range e.tun.open {
		ifaces[p] = iface
	}
	if len(ifaces) != 2 {
		t.Fatalf("tunnels %v, want 2", e.tun.open)
	}
	e.rt.dump = Dump{}
	if used {
		e.addNeighbour("re6stnet-tcp", 9, pfx(0))
		n2 = e.addNeighbour(ifaces[pfx(2)], 2, pfx(2))
	} else {
		e.addNeighbour("re6stnet-tcp", 9, pfx(0), pfx(2))
		n2 = e.addNeighbour(ifaces[pfx(2)], 2, "")
		e.rt.dump.Routes = append(e.rt.dump.Routes, Route{Dst: dst(pfx(2)), Via: n2})
	}
	e.addNeighbour(ifaces[pfx(3)], 3, pfx(3), pfx(5), pfx(6))
	e.now = e.now.Add(301 * time.Second)
	return e, n2
}

// The tunnel killer drains a tunnel (cost ×16) until Babel routes around
// it, locks it (×0), then asks the server to do the same, and closes the
// tunnel once the server answers. The tunnel's neighbour is found from the
// route it originates even when Babel does not use that route: otherwise
// a costly tunnel could never be rotated out.
func TestTunnelKiller(t *testing.T) {
	for _, used := range []bool{true, false} {
		name := map[bool]string{true: "tunnel-carries-traffic", false: "babel-prefers-another-path"}[used]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			e, n2 := rotationDue(t, used)
			e.refresh(ctx)
			if e.rt.mults[n2] != drainMultiplier {
				t.Fatalf("multipliers %v: the rotated tunnel is not drained", e.rt.mults)
			}
			// Babel moves pfx(2)'s traffic to another path: the link is
			// locked.
			e.rt.dump.Routes = slices.DeleteFunc(e.rt.dump.Routes, func(r Route) bool { return r.Via == n2 && r.Installed })
			e.now = e.now.Add(5 * time.Second)
			e.refresh(ctx)
			if e.rt.mults[n2] != lockMultiplier {
				t.Fatalf("multiplier %d, want locked", e.rt.mults[n2])
			}
			e.now = e.now.Add(5 * time.Second)
			e.refresh(ctx)
			if !slices.Contains(e.peers.sent, pfx(2)+":2") {
				t.Fatalf("sent %v, want a kill request to %s", e.peers.sent, pfx(2))
			}
			// Without an answer, it is asked again at the next round.
			e.now = e.now.Add(5 * time.Second)
			e.refresh(ctx)
			if n := count(e.peers.sent, pfx(2)+":2"); n != 2 {
				t.Errorf("%d kill requests after two rounds locked, want 2", n)
			}
			e.m.KillResponse(pfx(2))
			if slices.Contains(e.tun.peers(), pfx(2)) {
				t.Error("tunnel still open after the kill response")
			}
		})
	}
}

// The server side drains and locks its end on a client's request, then
// answers; the client leaving aborts it, and the neighbour's cost comes
// back after the killer's timeout.
func TestTunnelKillerServerSide(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	e.m.ServerConnect(ctx, pfx(5), "re6stnet-tcp", 5)
	n5 := e.addNeighbour("re6stnet-tcp", 5, pfx(5), pfx(6))
	e.addNeighbour("re6stnet1", 7, pfx(7), pfx(5), pfx(6))
	e.refresh(ctx)
	e.m.KillRequest(pfx(3)) // not served: ignored
	e.m.KillRequest(pfx(5))
	if e.rt.mults[n5] != drainMultiplier {
		t.Fatalf("multipliers %v: the served tunnel is not drained at once", e.rt.mults)
	}
	// Our traffic now goes through pfx(7); the client still announces its
	// prefix on our tap.
	e.rt.dump.Routes = slices.DeleteFunc(e.rt.dump.Routes, func(r Route) bool { return r.Via == n5 && r.Dst != dst(pfx(5)) })
	for i := range e.rt.dump.Routes {
		if e.rt.dump.Routes[i].Via == n5 {
			e.rt.dump.Routes[i].Installed = false
		}
	}
	e.now = e.now.Add(5 * time.Second)
	e.refresh(ctx) // locks
	e.now = e.now.Add(5 * time.Second)
	e.refresh(ctx) // answers
	if e.rt.mults[n5] != lockMultiplier || !slices.Contains(e.peers.sent, pfx(5)+":3") {
		t.Fatalf("multiplier %d, sent %v: want locked and a kill response", e.rt.mults[n5], e.peers.sent)
	}
	if len(e.m.killing) != 1 || slices.Contains(e.peers.sent, pfx(3)+":3") {
		t.Errorf("killers %v, sent %v: the unserved peer's request must be ignored", e.m.killing, e.peers.sent)
	}
	e.m.ServerDisconnect(pfx(5), "re6stnet-tcp")
	e.now = e.now.Add(3 * time.Minute)
	e.refresh(ctx)
	if len(e.m.killing) != 0 || e.rt.mults[n5] != 1 {
		t.Errorf("after the client left: killers %v, multiplier %d; want none, restored", e.m.killing, e.rt.mults[n5])
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestExitedTunnelIsReplaced(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1)
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
	e.refresh(ctx)
	first := e.tun.peers()[0]
	e.m.ClientUp(ctx, first, e.now, 5, 0)
	if !e.m.ClientExited(first, e.tun.ifaceOf(first), e.now) {
		t.Error("an established tunnel's exit must ask for a new round")
	}
	e.refresh(ctx)
	if got := e.tun.peers(); len(got) != 0 {
		t.Errorf("tunnels %v: a node cut off waits out its back-off before trying the cache again", got)
	}
	e.now = e.now.Add(10 * time.Minute)
	e.refresh(ctx)
	if got := e.tun.peers(); len(got) != 1 {
		t.Errorf("after the back-off, tunnels %v; want one from the cache", got)
	}
}

// The end of a tunnel we closed can reach the manager after it opened a
// new tunnel to the same peer, on another tap or on the same one (the
// tunnels layer frees the tap before it tells of the end): the new one
// stays.
func TestLateExitOfAClosedTunnelKeepsTheNewOne(t *testing.T) {
	for _, sameTap := range []bool{false, true} {
		ctx := context.Background()
		e := newEnv(t, 1)
		e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
		if !e.m.Connect(ctx, pfx(2)) {
			t.Fatal("no tunnel to a cached peer")
		}
		old := e.tun.ifaceOf(pfx(2))
		e.m.ClientUp(ctx, pfx(2), e.now, 5, 0)
		e.now = e.now.Add(time.Minute)
		if !e.m.Kill(pfx(2)) {
			t.Fatal("could not close the tunnel")
		}
		ended := e.now
		e.now = e.now.Add(time.Millisecond)
		e.tun.reuse = sameTap
		if !e.m.Connect(ctx, pfx(2)) {
			t.Fatal("could not open the tunnel again")
		}
		renewed := e.tun.ifaceOf(pfx(2))
		if e.m.ClientExited(pfx(2), old, ended) {
			t.Errorf("same tap %v: the late end of the closed tunnel asks for a new round", sameTap)
		}
		if got := e.m.Tunnels(); got[renewed] != pfx(2) || len(got) != 1 {
			t.Errorf("same tap %v: tunnels %v after the late end of %s, want %s to %s", sameTap, got, old, renewed, pfx(2))
		}
		if _, open := e.tun.open[renewed]; !open {
			t.Errorf("same tap %v: the new tunnel %s was closed", sameTap, renewed)
		}
	}
}

func TestRevokedPeersLoseTheirTunnels(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 3)
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
	e.cachePeer(t, pfx(4), "198.18.0.14,1194,tcp")
	e.m.ServerConnect(ctx, pfx(5), "re6stnet-tcp", 5)
	e.refresh(ctx)
	if len(e.tun.open) != 3 {
		t.Fatalf("tunnels %v, want 3", e.tun.peers())
	}
	// pfx(2)'s serial came with its tunnel; pfx(3)'s only from the peer
	// protocol, after the tunnel was up; pfx(4)'s is unknown.
	serials := map[string]uint64{}
	e.m.cfg.PeerSerial = func(p string) (uint64, bool) { s, ok := serials[p]; return s, ok }
	e.m.ClientUp(ctx, pfx(2), e.now, 12, 0)
	e.m.ClientUp(ctx, pfx(3), e.now, 0, 0)
	e.m.ClientUp(ctx, pfx(4), e.now, 0, 0)
	e.refresh(ctx)
	if !slices.Contains(e.peers.sessions, pfx(3)) || !slices.Contains(e.peers.sessions, pfx(4)) || slices.Contains(e.peers.sessions, pfx(2)) {
		t.Errorf("sessions asked for %v: want those with tunnels of unknown serial", e.peers.sessions)
	}
	serials[pfx(3)] = 13
	e.m.cfg.Revoked = func(s uint64) bool { return s == 13 }
	if got := e.m.KillRevoked(); !slices.Equal(got, []string{pfx(3)}) {
		t.Errorf("KillRevoked = %v, want %s, revoked per the peer protocol", got, pfx(3))
	}
	e.m.cfg.Revoked = func(s uint64) bool { return s == 12 }
	if got := e.m.KillRevoked(); !slices.Equal(got, []string{pfx(2)}) {
		t.Errorf("KillRevoked = %v, want %s, revoked per OpenVPN", got, pfx(2))
	}
	if got := e.tun.peers(); !slices.Equal(got, []string{pfx(4)}) {
		t.Errorf("tunnels left %v, want %s", got, pfx(4))
	}
}

func TestTunnelRefreshAppliesLive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2) // tunnel_refresh 300 s
	e.cachePeer(t, pfx(2), "198.18.0.12,1194,tcp")
	e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
	e.m.ServerConnect(ctx, pfx(0), "re6stnet-tcp", 1)
	e.addNeighbour("re6stnet-tcp", 9, pfx(0), pfx(2), pfx(3))
	e.refresh(ctx)
	e.now = e.now.Add(20 * time.Second)
	e.refresh(ctx)
	if len(e.m.killing) != 0 {
		t.Fatal("rotation before tunnel_refresh")
	}
	e.m.SetTunnelRefresh(15 * time.Second)
	e.now = e.now.Add(time.Second)
	e.refresh(ctx)
	if len(e.m.killing) != 1 {
		t.Errorf("no rotation 21 s after the last tunnel opened, with tunnel_refresh now 15 s")
	}
}

// The registry's bootstrap answer comes when it comes: the rounds go on
// meanwhile, without a second request.
func TestBootstrapAnswerComesLater(t *testing.T) {
	ctx := context.Background()
	t.Run("partition", func(t *testing.T) {
		e := newEnv(t, 3)
		e.addNeighbour("re6stnet1", 1, pfx(2), pfx(3)) // a partition without the registry
		e.cachePeer(t, pfx(3), "198.18.0.13,1194,tcp")
		e.cachePeer(t, pfx(9), "198.18.0.19,1194,tcp")
		e.m.Refresh(ctx)
		if e.reg.calls != 1 || !slices.Equal(e.tun.peers(), []string{pfx(3)}) {
			t.Fatalf("first round: %d registry calls, tunnels %v; want one request, the distant peer meanwhile", e.reg.calls, e.tun.peers())
		}
		e.now = e.now.Add(5 * time.Minute)
		e.m.Refresh(ctx)
		if e.reg.calls != 1 {
			t.Errorf("%d registry calls while one is under way, want 1", e.reg.calls)
		}
		// The answer: a peer of the registry's side, then the cache.
		e.m.BootstrapAnswer(ctx, pfx(7), "198.18.0.17,1194,tcp", nil)
		if got := e.tun.peers(); !slices.Equal(got, []string{pfx(3), pfx(7), pfx(9)}) {
			t.Errorf("tunnels %v after the answer, want the bootstrap peer and the cached one", got)
		}
	})
	t.Run("alone-and-no-answer", func(t *testing.T) {
		e := newEnv(t, 2)
		if err := e.cache.AddPeer(ctx, pfx(4), "198.18.0.14,1194,tcp", false); err != nil {
			t.Fatal(err)
		}
		e.cache.Connecting(ctx, pfx(4), true) // it failed before
		e.m.Refresh(ctx)
		if e.reg.calls != 1 || len(e.tun.open) != 0 {
			t.Fatalf("%d registry calls, tunnels %v: want a request and nothing else yet", e.reg.calls, e.tun.peers())
		}
		e.m.BootstrapAnswer(ctx, "", "", fmt.Errorf("registry unreachable"))
		if got := e.tun.peers(); !slices.Equal(got, []string{pfx(4)}) {
			t.Errorf("tunnels %v after the registry failed, want the address that failed before", got)
		}
	})
}

// TestHasTunnel: a peer has a tunnel with us once one is on its way, and
// a second Connect to it opens none.
func TestHasTunnel(t *testing.T) {
	e := newEnv(t, 3)
	p := pfx(7)
	if e.m.HasTunnel(p) {
		t.Fatal("a tunnel before any")
	}
	e.cachePeer(t, p, "198.51.100.7,1194,tcp")
	if !e.m.Connect(context.Background(), p) || !e.m.HasTunnel(p) {
		t.Fatal("no tunnel after Connect")
	}
	if e.m.Connect(context.Background(), p) {
		t.Fatal("a second tunnel to the same peer")
	}
}

// A node left short of client tunnels says why in its log, once until the
// reason changes.
func TestShortOfTunnelsSaysWhy(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 2)
	var logged bytes.Buffer
	e.m.cfg.Log = slog.New(slog.NewTextHandler(&logged, nil))
	// The registry's node is our only neighbour; it routes to a node we
	// have no address for and no session with.
	e.addNeighbour("re6stnet-tcp", 1, pfx(0), pfx(2))
	e.m.ServerConnect(ctx, pfx(0), "re6stnet-tcp", 1)
	e.refresh(ctx)
	e.refresh(ctx)
	if n := strings.Count(logged.String(), "no distant peer could be tunnelled to"); n != 1 {
		t.Fatalf("logged %d times in two rounds, want once:\n%s", n, &logged)
	}
	// Now every node it routes to is a direct neighbour.
	e.rt.dump.Routes = e.rt.dump.Routes[:1]
	e.refresh(ctx)
	if !strings.Contains(logged.String(), "every node routed to is a direct neighbour") {
		t.Fatalf("the new reason is not logged:\n%s", &logged)
	}
}
