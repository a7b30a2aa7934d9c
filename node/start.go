package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"github.com/vishvananda/netlink"

	"re6st-tui/node/babelctl"
	"re6st-tui/node/control"
	"re6st-tui/node/enroll"
	"re6st-tui/node/hooks"
	"re6st-tui/node/identity"
	"re6st-tui/node/netsetup"
	"re6st-tui/node/peer"
	"re6st-tui/node/state"
	"re6st-tui/node/tunnelmgr"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/kernel"
	"re6st-tui/tunnels"
)

// renew applies the certificate and CA renewal rules.
func (n *Node) renew(ctx context.Context) error {
	var crl []int64
	for _, s := range n.net.CRL {
		crl = append(crl, int64(s))
	}
	id, renewed, _, err := enroll.RenewIdentity(ctx, time.Now(), n.id, n.cfg.CA, n.cfg.Cert, n.reg, crl)
	if err != nil && unknownToRegistry(err) && n.ownRevoked() {
		return errNotEnrolled(err)
	}
	if err != nil {
		n.log.Warn("certificate renewal", "err", err)
	}
	if renewed {
		n.log.Info("certificate renewed", "not_after", id.Cert.NotAfter)
		n.id = id
		n.reg.SetIdentity(n.id.CA, n.id.Key, n.id.Prefix)
	}
	return nil
}

func (n *Node) identityState() {
	n.mu.Lock()
	defer n.mu.Unlock()
	network, _ := identity.AddrFromBits(n.id.CA.Network)
	n.st.Identity = state.Identity{
		Prefix:      n.id.Subnet,
		Address:     n.id.Addr,
		Network:     netip.PrefixFrom(network, len(n.id.CA.Network)),
		Registry:    n.cfg.Registry,
		CertExpiry:  n.id.Cert.NotAfter,
		IPv4:        n.ipv4,
		IPv4Network: n.ipv4Net,
	}
	n.st.Registry.URL = n.cfg.Registry
}

// startPeerProtocol binds UDP [::]:326.
func (n *Node) startPeerProtocol(ctx context.Context, undo *[]func()) error {
	var err error
	n.proto, err = peer.New(peer.Config{
		Identity: n.id, Version: n.net.Version, Handler: n,
		Revoked: func(s *big.Int) bool { return s.IsUint64() && n.crl.has(s.Uint64()) },
		NewVersion: func() {
			if n.refetch.IsZero() || n.refetch.After(time.Now().Add(time.Second)) {
				n.refetch = time.Now().Add(time.Second)
			}
		},
		Rand: rand.Reader, Log: n.log.With("component", "peers"),
	})
	if err != nil {
		return err
	}
	n.udp, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6unspecified, Port: peer.Port})
	if err != nil {
		return fmt.Errorf("bind UDP port %d: %w: is another re6st node running?", peer.Port, err)
	}
	*undo = append(*undo, func() { n.udp.Close() })
	go func() {
		buf := make([]byte, 1<<16)
		for {
			k, from, err := n.udp.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			select {
			case n.incoming <- datagram{from, append([]byte(nil), buf[:k]...)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

// send writes the protocol's datagrams.
func (n *Node) send(out []peer.Datagram) {
	for _, d := range out {
		if _, err := n.udp.WriteToUDPAddrPort(d.Data, d.To); err != nil {
			n.log.Debug("send to peer", "to", d.To, "err", err)
		}
	}
}

// startNetwork puts the node address and unreachable routes in place.
func (n *Node) startNetwork(ctx context.Context, undo *[]func()) error {
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	network, _ := identity.AddrFromBits(n.id.CA.Network)
	plan := netsetup.Plan{
		MainIface: n.cfg.MainInterface,
		NodeAddr:  netip.PrefixFrom(n.id.Addr, n.id.Subnet.Bits()),
		Network:   netip.PrefixFrom(network, len(n.id.CA.Network)),
	}
	if n.ipv4.IsValid() {
		plan.IPv4Network = n.ipv4Net
		if !n.tunnelManager() {
			// No tunnel of ours carries the address: the main interface does.
			plan.IPv4Addr, plan.IPv4Subnet = n.ipv4.Addr(), n.ipv4.Masked()
		}
	}
	s, err := netsetup.Apply(netsetup.Netlink{Handle: h}, filepath.Join(n.cfg.StateDir, "netsetup.json"), plan)
	if err != nil {
		h.Close()
		return err
	}
	*undo = append(*undo, func() {
		if err := s.Undo(); err != nil {
			n.log.Warn("undo network set-up", "err", err)
		}
		h.Close()
	})
	return nil
}

// startRouting runs the Babel speaker.
func (n *Node) startRouting(ctx context.Context, undo *[]func()) error {
	nk, err := kernel.Open()
	if err != nil {
		return err
	}
	if err := nk.Flush(); err != nil {
		n.log.Warn("remove routes of a previous run", "err", err)
	}
	subtrees := nk.Subtrees()
	if !subtrees {
		n.log.Warn("kernel without IPv6 subtrees: no tunnels over IPv6, and source-specific routes are installed without their source")
		for _, p := range []string{"tcp6", "udp6"} {
			if !slices.Contains(n.cfg.DisabledProtocols, p) {
				n.cfg.DisabledProtocols = append(n.cfg.DisabledProtocols, p)
			}
		}
	}
	cfg := babel.Config{
		// babeld's -S file, with the router-id too: after a clean stop the
		// node comes back as the same router with a newer seqno.
		StateFile: filepath.Join(n.cfg.StateDir, "babeld.state"),
		Hello:     n.hello(),
		RTT:       parseBabelDefault(n.net.BabelDefault),
		Xroutes:   n.xroutes(),
		Install:   babel.InstallPolicy{PrefSrc6: n.id.Addr, Network: n.network(), NoSubtrees: !subtrees, Gateway: n.cfg.Gateway},
	}
	if n.ipv4.IsValid() {
		cfg.Install.PrefSrc4 = n.ipv4.Addr()
	}
	if n.cfg.Gateway {
		// The default route is exported while the host has one.
		cfg.Install.Network = netip.Prefix{}
	}
	if cfg.Auth, err = babelAuth(n.net.BabelHMACSign, n.net.BabelHMACAccept, n.net.HasBabelHMACAccept); err != nil {
		return err
	}
	udp, err := babel.ListenUDP(0)
	if err != nil {
		nk.Close()
		return fmt.Errorf("babel: %w", err)
	}
	n.speaker, err = babel.New(cfg, udp, nk, n.log.With("source", "babel"))
	if err != nil {
		udp.Close()
		nk.Close()
		return err
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.speaker.Run(rctx, udp.Recv()); err != nil {
			n.log.Error("babel stopped", "err", err)
		}
	}()
	var once sync.Once
	n.stopBabel = func() {
		once.Do(func() {
			stop() // the speaker sends its retractions as it ends
			<-done
		})
	}
	*undo = append(*undo, func() {
		n.stopBabel()
		udp.Close()
		nk.Flush()
		nk.Close()
	})
	if err := n.serveBabelControl(undo); err != nil {
		n.log.Warn("re6st's Python registry beside this node will not see its routes", "err", err)
	}
	for _, ifname := range n.cfg.Interfaces {
		if err := n.addBabelInterface(ctx, ifname, babel.Wired); err != nil {
			return err
		}
	}
	if n.cfg.Gateway {
		done := make(chan struct{})
		apply := func(h hostDefault) { n.post(ctx, func() { n.setHostDefault(h) }) }
		go func() { defer close(done); n.watchDefaultRoute(ctx, n.hostRoutes, apply) }()
		*undo = append(*undo, func() { <-done })
	}
	go kernel.WatchLinks(rctx, func(index int, name string, up bool) {
		if strings.HasPrefix(name, "re6stnet") || slices.Contains(n.cfg.Interfaces, name) {
			n.speaker.SetInterfaceUp(name, up)
		}
	})
	return nil
}

// serveBabelControl serves the speaker's tables on <run>/babeld.sock, in
// the binary protocol of re6st's patched babeld, where re6st's Python
// registry reads the routing table of the node beside it.
func (n *Node) serveBabelControl(undo *[]func()) error {
	ln, err := control.Listen(filepath.Join(n.cfg.RunDir, "babeld.sock"))
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := &babelctl.Server{Speaker: n.speaker, Log: n.log.With("source", "babel")}
		if err := s.Serve(ctx, ln); err != nil {
			n.log.Warn("babeld control socket stopped", "err", err)
		}
	}()
	*undo = append(*undo, func() { stop(); <-done })
	return nil
}

// addBabelInterface adds an interface once it has its link-local address.
func (n *Node) addBabelInterface(ctx context.Context, name string, kind babel.Kind) error {
	l, err := kernel.LookupLink(ctx, name, 5*time.Second)
	if err != nil {
		return fmt.Errorf("babel interface %s: %w", name, err)
	}
	ifc := babel.Interface{Name: name, Index: l.Index, Kind: kind, LinkLocal: l.LinkLocal, MTU: l.MTU, IPv4: l.IPv4}
	if kind == babel.Tunnel && n.ipv4.IsValid() {
		ifc.IPv4 = n.ipv4.Addr() // OpenVPN puts it on every tunnel (--ifconfig)
	}
	if err := n.speaker.AddInterface(ifc); err != nil {
		return err
	}
	if ifc.IPv4.IsValid() {
		n.log.Info("babel interface added", "iface", name, "ll", l.LinkLocal, "ipv4", ifc.IPv4, "kind", kind)
	} else {
		n.log.Info("babel interface added", "iface", name, "ll", l.LinkLocal, "kind", kind)
	}
	return nil
}

// startTunnels starts the OpenVPN servers and the tunnel manager.
func (n *Node) startTunnels(ctx context.Context, undo *[]func()) error {
	dh, err := n.dhFile(ctx)
	if err != nil {
		return err
	}
	if err := n.writeCRL(); err != nil {
		return err
	}
	n.tun, err = tunnels.New(tunnels.Config{
		RunDir: n.cfg.RunDir, CA: n.cfg.CA, Cert: n.cfg.Cert, Key: n.cfg.Key, DH: dh,
		Encrypt: n.net.Encrypt, Hello: n.hello(), MaxClients: n.maxClients(), ClientCount: n.clientCount(), IPv4: n.ipv4,
		ExtraArgs: n.cfg.OpenVPNArgs, Admit: n.admit, CRLDir: n.crlDir(), Log: n.log.With("component", "tunnels"),
		LogDir: n.ovpnLogDir(),
	})
	if err != nil {
		return err
	}
	if err := n.tun.Start(); err != nil {
		return err
	}
	if !n.net.Encrypt {
		n.log.Info("tunnels carry data unencrypted, as the network's encrypt setting says; peers are still authenticated by their certificates")
	}
	*undo = append(*undo, func() {
		if err := n.tun.Stop(); err != nil {
			n.log.Warn("stop tunnels", "err", err)
		}
	})
	n.address = map[int][]peer.Address{}
	if n.maxClients() > 0 && n.cfg.Client == "" {
		for _, pp := range n.serverPorts() {
			proto, err := tunnels.ParseProto(pp.Proto)
			if err != nil {
				return err
			}
			if err := n.tun.Serve(ctx, proto, pp.Port); err != nil {
				return err
			}
		}
		n.initAddresses(ctx)
		if err := n.startUPnP(ctx, undo); err != nil {
			return err
		}
	}
	countries, err := n.startCountries(undo)
	if err != nil {
		return err
	}
	n.mgr = tunnelmgr.New(tunnelmgr.Config{
		Network: n.id.CA.Network, Prefix: n.id.Prefix, ClientCount: n.clientCount(),
		Timeout: n.timeout(), TunnelRefresh: time.Duration(n.net.TunnelRefresh) * time.Second,
		Disabled: n.cfg.DisabledProtocols, Neighbours: n.neighbourPrefixes(), Countries: countries,
		RegistryPrefix: func() string { return n.net.RegistryPrefix },
		Revoked:        n.crl.has,
		PeerSerial:     n.peerSerialKnown,
		Routing:        routingAdapter{n}, Tunnels: tunnelAdapter{n}, Peers: peersAdapter{n},
		Cache: n.cache, Registry: registryAdapter{n},
		Log: n.log.With("component", "tunnel-manager"),
	})
	return nil
}

// serverPorts are the --pp ports, one server per protocol (the first).
func (n *Node) serverPorts() []struct {
	Port  uint16
	Proto string
} {
	seen := map[string]bool{}
	var out []struct {
		Port  uint16
		Proto string
	}
	for _, pp := range n.cfg.PP {
		if seen[pp.Proto] || slices.Contains(n.cfg.DisabledProtocols, pp.Proto) {
			continue
		}
		seen[pp.Proto] = true
		out = append(out, struct {
			Port  uint16
			Proto string
		}{pp.Port, pp.Proto})
	}
	return out
}

// initAddresses builds the address list from --ip; families without an
// explicit address are learnt from peers.
func (n *Node) initAddresses(ctx context.Context) {
	var explicit [2][]string
	for _, ip := range n.cfg.IP {
		if ip == "any" || ip == "upnp" {
			continue
		}
		if a, err := netip.ParseAddr(ip); err == nil && a.Is6() && !a.Is4In6() {
			explicit[1] = append(explicit[1], ip)
		} else {
			explicit[0] = append(explicit[0], ip)
		}
	}
	for fam := range 2 {
		if len(explicit[fam]) == 0 {
			n.learnIP[fam] = true
			continue
		}
		for _, ip := range explicit[fam] {
			n.address[fam] = append(n.address[fam], n.addressesFor(ip, fam == 1)...)
		}
	}
	n.reuseCachedCountries(ctx)
	for i, family := range []int{4, 6} {
		for j := range n.address[i] {
			n.address[i][j].Country = n.announcedCountry(family)
		}
	}
	n.publishAddress()
}

// addressesFor lists ip with each served port of its family, or the
// gateway's port for it when UPnP maps it.
func (n *Node) addressesFor(ip string, v6 bool) []peer.Address {
	var out []peer.Address
	for _, pp := range n.cfg.PP {
		if slices.Contains(n.cfg.DisabledProtocols, pp.Proto) || (peer.Family(pp.Proto) == 6) != v6 {
			continue
		}
		port := pp.Port
		if mapped := n.mappedPort(pp.Port, pp.Proto); mapped != 0 && !v6 {
			port = mapped
		}
		out = append(out, peer.Address{IP: ip, Port: port, Proto: pp.Proto, Country: n.announcedCountry(peer.Family(pp.Proto))})
	}
	return out
}

func (n *Node) publishAddress() {
	all := append(append([]peer.Address(nil), n.address[0]...), n.address[1]...)
	n.cache.SetMyAddress(context.Background(), peer.FormatAddresses(all, true))
	if n.loopCtx != nil {
		n.askCountries(n.loopCtx)
	}
}

// myAddresses is our address list for a peer of that protocol.
func (n *Node) myAddresses(protocol uint64) string {
	all := append(append([]peer.Address(nil), n.address[0]...), n.address[1]...)
	return peer.FormatAddresses(all, protocol >= 7)
}

func (n *Node) neighbourPrefixes() []string {
	var out []string
	for _, cn := range n.cfg.Neighbours {
		if p, err := identity.PrefixFromCN(cn); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// dhFile returns the DH parameters file for the servers: --dh, or one
// fetched once from the registry.
func (n *Node) dhFile(ctx context.Context) (string, error) {
	if n.cfg.DH != "" {
		return n.cfg.DH, nil
	}
	path := filepath.Join(n.cfg.StateDir, "dh.pem")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	delay := time.Second
	for {
		dh, err := n.reg.GetDh(ctx)
		if err == nil && len(dh) > 0 {
			return path, renameio.WriteFile(path, dh, 0o644)
		}
		if err == nil {
			err = errors.New("empty answer")
		}
		n.log.Warn("cannot get DH parameters from the registry", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("DH parameters: %w: give a file with --dh", err)
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Minute)
	}
}

// startHooks runs --up and starts the --daemon commands.
func (n *Node) startHooks(ctx context.Context, undo *[]func()) error {
	network, _ := identity.AddrFromBits(n.id.CA.Network)
	env := hooks.Env{IP: n.id.Addr, Iface: n.cfg.MainInterface, Subnet: n.id.Subnet,
		Network: netip.PrefixFrom(network, len(n.id.CA.Network))}
	if n.cfg.Up != "" {
		if err := hooks.Up(ctx, env, n.cfg.Up, n.log); err != nil {
			return err
		}
	}
	if len(n.cfg.Daemons) > 0 {
		d, err := hooks.StartDaemons(env, n.cfg.Daemons, n.log)
		if err != nil {
			return err
		}
		*undo = append(*undo, d.Stop)
	}
	return nil
}

// startControl serves the node on its control socket.
func (n *Node) startControl(ctx context.Context, undo *[]func()) error {
	path := n.opts.ControlSocket
	if path == "" {
		path = filepath.Join(n.cfg.RunDir, "control.sock")
	}
	ln, err := control.Listen(path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := &control.Server{Engine: n, Log: n.log.With("component", "control")}
		s.Serve(sctx, ln)
	}()
	*undo = append(*undo, func() { stop(); <-done })
	return nil
}

// ovpnLogDir is where OpenVPN processes write their own logs (--ovpnlog),
// "" when their output comes to us on a pipe.
func (n *Node) ovpnLogDir() string {
	if !n.cfg.OVPNLog {
		return ""
	}
	return n.cfg.LogDir
}
