package tunnels

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"re6st-tui/tunnels/openvpn"
)

type server struct {
	proto Proto
	port  uint16
	proc  *openvpn.Process
	up    chan error // receives once: nil when listening, else why not
	once  sync.Once
	// peers is owned by the server's loop: served clients by OpenVPN CID.
	peers map[int64]*served
}

type served struct {
	peer     Peer
	counters Counters
}

// Serve starts the server for (proto, port) on tap re6stnet-<proto> and
// returns once it listens. Clients are then admitted through Config.Admit
// and reported as PeerConnected / PeerDisconnected events.
func (m *Manager) Serve(ctx context.Context, p Proto, port uint16) error {
	if m.cfg.DH == "" {
		return errors.New("serve: no DH parameter file: set Config.DH (re6st fetches it from the registry)")
	}
	if m.cfg.MaxClients <= 0 {
		return fmt.Errorf("serve %s: max clients is %d: set Config.MaxClients above 0", p, m.cfg.MaxClients)
	}
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return ErrStopped
	}
	if s, ok := m.servers[p]; ok {
		m.mu.Unlock()
		return fmt.Errorf("serve %s: already served on port %d (re6st serves one port per protocol)", p, s.port)
	}
	m.servers[p] = nil // reserve while starting
	m.mu.Unlock()
	err := m.startServer(ctx, p, port)
	if err != nil {
		m.mu.Lock()
		delete(m.servers, p)
		m.mu.Unlock()
	}
	return err
}

func (m *Manager) startServer(ctx context.Context, p Proto, port uint16) error {
	iface := p.Iface()
	if err := m.cfg.Taps.Create(iface); err != nil {
		return err
	}
	m.mu.Lock()
	m.taps[iface] = true
	m.mu.Unlock()
	proc, err := openvpn.Start(ctx, m.spec(iface, m.cfg.serverArgs(p, port), true))
	if err != nil {
		_ = m.cfg.Taps.Remove(iface)
		return fmt.Errorf("serve %s on port %d: %w", p, port, err)
	}
	s := &server{proto: p, port: port, proc: proc, up: make(chan error, 1), peers: map[int64]*served{}}
	m.mu.Lock()
	if m.stopped { // Stop ran meanwhile and did not see this server
		m.mu.Unlock()
		proc.Stop(stopGrace)
		_ = m.cfg.Taps.Remove(iface)
		return ErrStopped
	}
	m.servers[p] = s
	m.wg.Add(1)
	m.mu.Unlock()
	go m.runServer(s)
	select {
	case err = <-s.up:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		proc.Stop(stopGrace)
		_ = m.cfg.Taps.Remove(iface)
		return fmt.Errorf("serve %s on port %d: %w", p, port, err)
	}
	return nil
}

func (m *Manager) runServer(s *server) {
	defer m.wg.Done()
	iface := s.proto.Iface()
	var facts logFacts
	up := false
	m.follow(s.proc, &facts, func(msg openvpn.Message) {
		switch msg := msg.(type) {
		case openvpn.State:
			if msg.Name == "CONNECTED" && !up {
				err := m.cfg.Taps.Up(iface, facts.mtu)
				s.report(err)
				if err != nil {
					s.proc.Kill()
					return
				}
				up = true
				m.emit(Event{Kind: ServerUp, Tunnel: iface, Server: true})
			}
		case openvpn.Client:
			m.serverClient(s, msg)
		case openvpn.ByteCount:
			if c := s.peers[msg.CID]; c != nil {
				c.counters.In, c.counters.Out = msg.In, msg.Out
				m.update(servedKey(iface, msg.CID), func(t *Tunnel) { t.Counters = c.counters })
				m.emit(Event{Kind: Stats, Tunnel: iface, Server: true, CN: c.peer.CN,
					Serial: c.peer.Serial, Remote: c.peer.Remote, Counters: c.counters})
			}
		}
	})
	last := s.proc.LastLines()
	for cid := range s.peers {
		m.drop(servedKey(iface, cid))
	}
	m.mu.Lock()
	if m.servers[s.proto] == s {
		delete(m.servers, s.proto)
	}
	m.mu.Unlock()
	if !up {
		s.report(serverFailure(s, facts.reason, last))
		return
	}
	m.emit(Event{Kind: Exited, Tunnel: iface, Server: true, Reason: exitReason(s.proc, facts.reason), LastLog: last})
}

// report tells Serve how starting went; only the first report counts, and
// it never blocks (Serve may have given up waiting).
func (s *server) report(err error) {
	s.once.Do(func() { s.up <- err })
}

// serverFailure explains why a server never came up, with the fix.
func serverFailure(s *server, reason string, last []string) error {
	all := strings.Join(last, "\n")
	switch {
	case strings.Contains(all, "Address already in use"):
		return fmt.Errorf("port %d/%s is already in use: pick another port (--pp) or stop the program listening there", s.port, s.proto)
	case reason == "" && len(last) > 0:
		reason = last[len(last)-1]
	}
	return fmt.Errorf("openvpn exited before listening: %s", reason)
}

func exitReason(p *openvpn.Process, logged string) string {
	if err := p.Err(); err != nil {
		if logged != "" {
			return err.Error() + ": " + logged
		}
		return err.Error()
	}
	return logged
}

// serverClient handles a >CLIENT: notification of a server.
func (m *Manager) serverClient(s *server, c openvpn.Client) {
	iface := s.proto.Iface()
	peer := peerOf(iface, c.Env)
	switch c.Event {
	case "CONNECT", "REAUTH":
		var verdict error
		if m.cfg.Admit != nil {
			verdict = m.cfg.Admit(peer)
		}
		ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
		defer cancel()
		ids := strconv.FormatInt(c.CID, 10) + " " + strconv.FormatInt(c.KID, 10)
		var err error
		switch {
		case verdict != nil:
			_, err = s.proc.Conn().Command(ctx, "client-deny "+ids+" "+openvpn.Quote(verdict.Error()))
			m.emit(Event{Kind: PeerRefused, Tunnel: iface, Server: true, CN: peer.CN,
				Serial: peer.Serial, Remote: peer.Remote, Reason: verdict.Error()})
		case c.Event == "REAUTH":
			_, err = s.proc.Conn().Command(ctx, "client-auth-nt "+ids)
		default:
			// What re6st's client-connect script wrote into its config
			// file: the client learns its public IP from it.
			block := "client-auth " + ids + "\n"
			if peer.Remote.IsValid() {
				block += "push " + openvpn.Quote("setenv-safe external_ip "+peer.Remote.Addr().String()) + "\n"
			}
			_, err = s.proc.Conn().Command(ctx, block+"END")
		}
		if err != nil {
			m.cfg.Log.Warn("client verdict not taken", "tunnel", iface, "peer", peer.CN, "err", err)
		}
	case "ESTABLISHED":
		sv := &served{peer: peer, counters: Counters{Since: time.Now()}}
		s.peers[c.CID] = sv
		m.update(servedKey(iface, c.CID), func(t *Tunnel) {
			*t = Tunnel{Iface: iface, Server: true, CN: peer.CN, Serial: peer.Serial, Up: true,
				Remote: peer.Remote, Counters: sv.counters}
		})
		m.emit(Event{Kind: PeerConnected, Tunnel: iface, Server: true, CN: peer.CN,
			Serial: peer.Serial, Remote: peer.Remote, Counters: sv.counters})
	case "DISCONNECT":
		sv := s.peers[c.CID]
		delete(s.peers, c.CID)
		if sv == nil {
			return // refused, never established
		}
		ctr := sv.counters
		if n, err := strconv.ParseUint(c.Env["bytes_received"], 10, 64); err == nil {
			ctr.In = n
		}
		if n, err := strconv.ParseUint(c.Env["bytes_sent"], 10, 64); err == nil {
			ctr.Out = n
		}
		m.drop(servedKey(iface, c.CID))
		m.emit(Event{Kind: PeerDisconnected, Tunnel: iface, Server: true, CN: peer.CN,
			Serial: peer.Serial, Remote: peer.Remote, Counters: ctr})
	}
}

// servedKey names a served peer in Manager.snap; the zero-padded id keeps
// peers in connection order.
func servedKey(iface string, cid int64) string { return fmt.Sprintf("%s/%012d", iface, cid) }

// peerOf reads the client's identity from OpenVPN's environment.
func peerOf(iface string, env map[string]string) Peer {
	p := Peer{CN: env["common_name"], Serial: env["tls_serial_0"], Tunnel: iface}
	ip := env["trusted_ip"]
	if ip == "" {
		ip = env["trusted_ip6"]
	}
	if ip == "" { // before authentication only the untrusted_* names exist
		ip = env["untrusted_ip"]
		if ip == "" {
			ip = env["untrusted_ip6"]
		}
	}
	port := env["trusted_port"]
	if port == "" {
		port = env["untrusted_port"]
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		n, _ := strconv.ParseUint(port, 10, 16)
		p.Remote = netip.AddrPortFrom(a.Unmap(), uint16(n))
	}
	return p
}

// Unserve stops the server for p and removes its tap; its Exited event
// follows.
func (m *Manager) Unserve(p Proto) error {
	m.mu.Lock()
	s := m.servers[p]
	m.mu.Unlock()
	if s == nil {
		return fmt.Errorf("unserve %s: not served", p)
	}
	s.proc.Stop(stopGrace)
	m.mu.Lock()
	delete(m.taps, p.Iface())
	m.mu.Unlock()
	return m.cfg.Taps.Remove(p.Iface())
}
