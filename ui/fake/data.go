package fake

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"re6st-tui/node/state"
)

// Lab addresses only: the overlay lives in 2001:db8:42::/48 and the
// underlay in 198.18.0.0/15 and 2001:db8:ff00::/64.
var (
	network   = netip.MustParsePrefix("2001:db8:42::/48")
	anyPrefix = netip.MustParsePrefix("::/0")
	gateway   = netip.MustParseAddr("fe80::1")
	// The network carries IPv4 too, a /25 per node.
	network4 = netip.MustParsePrefix("198.19.128.0/17")
	gateway4 = netip.MustParseAddr("198.18.0.1")
)

// peerPrefix4 returns the IPv4 /25 of the i-th node (0 is us), with the
// node's address in it.
func peerPrefix4(i int) netip.Prefix {
	a := network4.Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n += uint32(i)*128 + 1
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), 25)
}

const mainTable = 254

// peerPrefix returns the /64 of the i-th node of the network (0 is us).
func peerPrefix(i int) netip.Prefix {
	a := network.Addr().As16()
	a[6], a[7] = byte((i+1)>>8), byte(i+1)
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}

// nodeAddr is the node address inside a peer prefix (prefix::1).
func nodeAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	a[15] = 1
	return netip.AddrFrom16(a)
}

func linkLocal(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 8: 0x02, 9: 0x16, 10: 0x3e, 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
}

func routerID(i int) string {
	return fmt.Sprintf("02:16:3e:ff:fe:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i))
}

// Empty is a node that has its identity but nothing else yet.
func Empty(now time.Time) state.State {
	return state.State{
		Identity:    identity(now),
		Status:      state.Status{Phase: state.Bootstrapping, Reason: "waiting for the registry's peer list", Since: now},
		Registry:    state.Registry{URL: registryURL},
		GeneratedAt: now,
	}
}

const registryURL = "http://198.18.0.10/"

func identity(now time.Time) state.Identity {
	p := peerPrefix(0)
	return state.Identity{Prefix: p, Address: nodeAddr(p), Network: network,
		Registry: registryURL, CertExpiry: now.Add(158 * 24 * time.Hour).Truncate(time.Hour),
		IPv4: peerPrefix4(0), IPv4Network: network4}
}

// Typical is a connected node with eight tunnels, a few dozen routes, a
// stale static route that conflicts with Babel's, a default-route finding
// and some log lines.
func Typical(now time.Time) state.State {
	s := Large(now, 60, 8)
	s.Status = state.Status{Phase: state.Connected, Since: now.Add(-3 * time.Hour)}
	return s
}

// Large is a connected node with routes IPv6 Babel routes (each installed
// in the kernel), peers tunnels and the IPv4 subnets of those peers, for
// benchmarks and the big golden.
func Large(now time.Time, routes, peers int) state.State {
	s := Empty(now)
	s.Status = state.Status{Phase: state.Connected, Since: now.Add(-26 * time.Hour)}
	s.Registry = state.Registry{URL: registryURL, Reachable: true, LastContact: now.Add(-4 * time.Minute),
		ConfigAge: now.Add(-2 * time.Hour), CachedPeers: peers * 3}
	for i := range peers {
		addPeer(&s, now, i)
	}
	addRoutes(&s, routes, peers)
	addLocal(&s)
	addLogs(&s, now)
	s.Findings = append([]state.Finding{defaultRouteFinding("")}, healthyFindings(now)...)
	s.UPnP = state.UPnP{Phase: state.UPnPMapped, Gateway: "WANIPConnection:2 at 198.18.0.1:5000",
		External: netip.MustParseAddr("198.18.200.1"), Renewed: now.Add(-3 * time.Minute),
		Mappings: []state.PortMapping{{Proto: "udp", Internal: 1194, External: 40000}, {Proto: "tcp", Internal: 1194, External: 40001}}}
	return s
}

func addPeer(s *state.State, now time.Time, i int) {
	t := tunnel(now, i)
	s.Tunnels = append(s.Tunnels, t)
	cost := uint16(96 + (i*37)%200)
	s.Neighbours = append(s.Neighbours, state.Neighbour{Addr: t.LinkLocal, Iface: t.Iface,
		Reach: 0xffff << (i % 3), RxCost: 96 + uint16(i%3)*32, TxCost: 96,
		RTT: time.Duration(3+(i*7)%60)*time.Millisecond + 250*time.Microsecond, Cost: cost})
	s.Routes = append(s.Routes, babelRoute(peerPrefix(i+1), anyPrefix, cost, i, t))
	s.Kernel = append(s.Kernel, kernelVia(peerPrefix(i+1), t))
	if i < 255 { // the peer's IPv4 subnet, through the same tunnel
		p4 := peerPrefix4(i + 1)
		s.Routes = append(s.Routes, babelRoute(p4.Masked(), anyPrefix, cost, i, t))
		s.Kernel = append(s.Kernel, state.KernelRoute{Dst: p4.Masked(), Via: p4.Addr(), Dev: t.Iface, Proto: state.OriginBabel,
			Table: mainTable, PrefSrc: peerPrefix4(0).Addr()})
	}
}

func tunnel(now time.Time, i int) state.Tunnel {
	peer := peerPrefix(i + 1)
	t := state.Tunnel{Peer: peer, LinkLocal: linkLocal(i + 1), State: state.TunnelUp,
		BytesIn: uint64(1_000_000 * (i + 1)), BytesOut: uint64(700_000 * (i + 1)),
		Since: now.Add(-time.Duration(5+i*13) * time.Minute), Version: "8",
		Remote: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(1 + i/200), byte(11 + i%200)}), 1194)}
	t.PeerAddrs = []netip.AddrPort{t.Remote, netip.AddrPortFrom(t.Remote.Addr(), 1195)}
	if i%3 == 2 {
		t.Role, t.Proto, t.Iface = state.Server, "udp", "re6stnet-udp"
		t.ID = "re6stnet-udp/" + peer.String()
		t.Remote = netip.AddrPortFrom(t.Remote.Addr(), uint16(40000+i))
	} else {
		t.Role, t.Proto = state.Client, "udp"
		t.Iface = fmt.Sprintf("re6stnet%d", i+1)
		t.ID = t.Iface
	}
	if i%5 == 4 {
		t.Proto = "tcp"
		if t.Role == state.Server {
			t.Iface = "re6stnet-tcp"
			t.ID = "re6stnet-tcp/" + peer.String()
		}
	}
	return t
}

func babelRoute(p, src netip.Prefix, metric uint16, router int, t state.Tunnel) state.BabelRoute {
	return state.BabelRoute{Prefix: p, Src: src, Metric: metric, RefMetric: metric - min(metric, 96),
		RouterID: routerID(router + 1), Seqno: uint16(100 + router), NextHop: t.LinkLocal, Iface: t.Iface, Installed: true, Feasible: true}
}

func kernelVia(p netip.Prefix, t state.Tunnel) state.KernelRoute {
	return state.KernelRoute{Dst: p, Via: t.LinkLocal, Dev: t.Iface, Proto: state.OriginBabel, Metric: 1024, Table: mainTable}
}

// addRoutes fills the table up to n IPv6 Babel routes, spread over the
// peers, each learnt from a node further away.
func addRoutes(s *state.State, n, peers int) {
	if peers == 0 {
		return
	}
	for i := peers; i < n; i++ {
		t := s.Tunnels[i%peers]
		r := babelRoute(peerPrefix(i+1), anyPrefix, uint16(200+(i*53)%900), i, t)
		r.Installed = i%17 != 3 // some routes lose to another path
		s.Routes = append(s.Routes, r)
		s.Sources = appendSource(s.Sources, r, i)
		if r.Installed && i%997 != 50 { // babel says installed, kernel lacks it: cross-check
			s.Kernel = append(s.Kernel, kernelVia(r.Prefix, t))
		}
	}
	// The default route from the network, learnt from a gateway peer.
	def := babelRoute(anyPrefix, network, 256, 1, s.Tunnels[0])
	s.Routes = append(s.Routes, def)
	k := kernelVia(anyPrefix, s.Tunnels[0])
	k.Src = network
	s.Kernel = append(s.Kernel, k)
	if peers > 2 { // a stale static route shadowing Babel's: a conflict
		s.Kernel = append(s.Kernel, state.KernelRoute{Dst: peerPrefix(3), Via: netip.MustParseAddr("2001:db8:ff00::99"),
			Dev: "eth0", Proto: state.OriginStatic, Metric: 512, Table: mainTable})
	}
}

func appendSource(ss []state.Source, r state.BabelRoute, i int) []state.Source {
	if i%4 != 0 {
		return ss
	}
	return append(ss, state.Source{Prefix: r.Prefix, Src: r.Src, RouterID: r.RouterID, Seqno: uint16(1000 + i), Metric: r.Metric})
}

// addLocal adds what every node has: its own prefix, the unreachable
// network route, the underlay and the link-local routes.
func addLocal(s *state.State) {
	me := s.Identity.Prefix
	s.XRoutes = append(s.XRoutes, state.XRoute{Prefix: me, Src: anyPrefix}, state.XRoute{Prefix: netip.PrefixFrom(s.Identity.Address, 128), Src: anyPrefix})
	s.Kernel = append(s.Kernel,
		state.KernelRoute{Dst: me, Dev: "lo", Proto: state.OriginKernel, Metric: 256, Table: mainTable},
		state.KernelRoute{Dst: network, Dev: "lo", Proto: state.OriginStatic, Metric: 1024, Table: mainTable, Type: state.TypeUnreachable},
		state.KernelRoute{Dst: netip.MustParsePrefix("2001:db8:ff00::/64"), Dev: "eth0", Proto: state.OriginRA, Metric: 100, Table: mainTable},
		state.KernelRoute{Dst: netip.MustParsePrefix("fe80::/64"), Dev: "eth0", Proto: state.OriginKernel, Metric: 256, Table: mainTable},
		state.KernelRoute{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: gateway4, Dev: "eth0", Proto: state.OriginDHCP, Metric: 100, Table: mainTable},
		state.KernelRoute{Dst: netip.MustParsePrefix("198.18.0.0/24"), Dev: "eth0", Proto: state.OriginKernel, Metric: 100, Table: mainTable,
			PrefSrc: netip.MustParseAddr("198.18.0.2")},
	)
}

func addLogs(s *state.State, now time.Time) {
	lines := []state.LogRecord{
		{Level: slog.LevelInfo, Source: "node", Message: "certificate loaded", Attrs: []state.Attr{{Key: "prefix", Value: s.Identity.Prefix.String()}}},
		{Level: slog.LevelInfo, Source: "babel", Message: "speaker started", Attrs: []state.Attr{{Key: "iface", Value: "lo"}}},
		{Level: slog.LevelWarn, Source: "node", Message: "registry slow to answer", Attrs: []state.Attr{{Key: "source", Value: registryURL}}},
		{Level: slog.LevelDebug, Source: "babel", Message: "hello sent", Attrs: []state.Attr{{Key: "iface", Value: "re6stnet1"}}},
		{Level: slog.LevelError, Source: "openvpn re6stnet2", Message: "TLS handshake failed, retrying"},
		{Level: slog.LevelInfo, Source: "openvpn re6stnet2", Message: "Initialization Sequence Completed"},
		{Level: slog.LevelInfo, Source: "node", Message: "tunnel up", Attrs: []state.Attr{{Key: "peer", Value: peerPrefix(1).String()}, {Key: "tunnel", Value: "re6stnet1"}}},
	}
	for i, l := range lines {
		l.Time = now.Add(time.Duration(i-len(lines)) * 7 * time.Second)
		s.Logs = append(s.Logs, l)
	}
}

// healthyFindings are the doctor's other checks on a node in good shape.
func healthyFindings(now time.Time) []state.Finding {
	return []state.Finding{
		{ID: "forwarding", Title: "IPv6 forwarding and router advertisements", Status: state.CheckOK,
			Explanation: "forwarding is on, as re6st needs to route for its peers"},
		{ID: "firewall", Title: "Firewall", Status: state.CheckOK, Explanation: "nothing drops Babel, the peer protocol or the tunnels' ports",
			Details: []string{"nftables: 2 tables, no rule on udp 6696, 326 or tcp 1194"}},
		{ID: "certificate", Title: "Certificate", Status: state.CheckOK,
			Explanation: "certificate valid until " + now.Add(158*24*time.Hour).Format("2006-01-02")},
		{ID: "path-mtu", Title: "Path MTU over the overlay", Status: state.CheckOK,
			Explanation: "1500-byte packets reach 2001:db8:42:2::1"},
		{ID: "upnp", Title: "UPnP port mappings", Status: state.CheckOK,
			Explanation: "peers reach this node's servers at 198.18.200.1:40000/udp → port 1194, 198.18.200.1:40001/tcp → port 1194"},
		{ID: "networkmanager", Title: "NetworkManager", Status: state.CheckSkip, Explanation: "NetworkManager is not installed"},
	}
}

// Fixes the default-route finding offers, as diag/doctor names them.
const (
	fixAcceptRA     = "accept-ra-2:eth0"
	fixRe6stDefault = "re6st-default"
)

// defaultRouteFinding is the classic re6st trouble: forwarding on makes the
// kernel ignore router advertisements, so the host loses its default route.
// applied names the fix in force, or is empty.
func defaultRouteFinding(applied string) state.Finding {
	f := state.Finding{ID: state.CheckDefaultRoute, Title: "Default route", Status: state.CheckFail,
		Explanation: "eth0 ignores router advertisements since forwarding is on, so this host has no default route outside re6st.",
		Details: []string{"net.ipv6.conf.all.forwarding = 1", "net.ipv6.conf.eth0.accept_ra = 1",
			"the main table has no default route but re6st's, from " + network.String()},
		Fixes: []state.Fix{
			{ID: fixAcceptRA, Summary: "set net.ipv6.conf.eth0.accept_ra=2 so router advertisements still count with forwarding on",
				Change: "sysctl -w net.ipv6.conf.eth0.accept_ra=2"},
			{ID: fixRe6stDefault, Summary: "route all traffic through re6st, following re6st's next hop as it changes",
				Change: "ip -6 route add " + routeText(re6stDefault)},
		}}
	for i := range f.Fixes {
		fx := &f.Fixes[i]
		if fx.ID != applied {
			continue
		}
		fx.Applied = true
		f.Status = state.CheckOK
		f.Explanation = "this host has a default route again."
		if fx.ID == fixAcceptRA {
			fx.Changes = []state.Change{{Action: "set-sysctl", Object: "net.ipv6.conf.eth0.accept_ra", Before: "1", After: "2"}}
			fx.Undo = []string{"sysctl -w net.ipv6.conf.eth0.accept_ra=1"}
		} else {
			fx.Changes = []state.Change{{Action: "add-route", Object: routeText(re6stDefault)}}
			fx.Undo = []string{"ip -6 route del " + routeText(re6stDefault)}
		}
	}
	return f
}

func routeText(r state.KernelRoute) string {
	return fmt.Sprintf("default via %s dev %s proto %s metric %d", r.Via, r.Dev, r.Proto, r.Metric)
}

// re6stDefault is the route the re6st-default fix adds.
var re6stDefault = state.KernelRoute{Dst: anyPrefix, Via: linkLocal(1), Dev: "re6stnet1", Proto: state.OriginStatic, Metric: 512, Table: mainTable}

// raDefault is the route the kernel learns once accept_ra=2.
var raDefault = state.KernelRoute{Dst: anyPrefix, Via: gateway, Dev: "eth0", Proto: state.OriginRA, Metric: 1024, Table: mainTable}
