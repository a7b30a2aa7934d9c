package peer

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"io"
	"log/slog"
	"math/big"
	"net/netip"
	"sort"
	"strings"
	"time"

	"re6st-tui/node/identity"
)

// Datagram is a message to send.
type Datagram struct {
	To   netip.AddrPort
	Data []byte
}

// Request is a data message for the node to handle: a code and its data,
// from a peer (binary prefix) or, when Peer is "", from the local registry.
type Request struct {
	Peer     string
	Protocol uint64 // the peer's protocol, 0 for the registry
	Code     byte
	Data     []byte
}

// Handler answers requests. ok false means nothing to answer (the sender
// still gets an acknowledgement).
type Handler interface {
	Request(Request) (answer []byte, ok bool)
}

// Config is what a Protocol needs.
type Config struct {
	Identity *identity.Identity
	// Version is the network version blob the node holds.
	Version []byte
	Handler Handler
	// Revoked reports whether a certificate serial is in the CRL.
	Revoked func(*big.Int) bool
	// NewVersion is called when a peer or the registry says the network
	// configuration changed; the node then fetches it.
	NewVersion func()
	Now        func() time.Time
	Rand       io.Reader
	Log        *slog.Logger
}

// Protocol is the state of the UDP 326 protocol with every peer. It is not
// safe for concurrent use: the node drives it from one goroutine.
type Protocol struct {
	cfg      Config
	id       *identity.Identity
	network  string
	certDER  []byte
	ownFP    [20]byte
	version  []byte
	initKey  []byte // the key of sessions not yet negotiated
	peers    map[string]*session
	forward  netip.AddrPort // where the registry asked from, on ::1
	dropped  map[string]uint64
	received uint64
}

// New returns a Protocol for the node of cfg.Identity.
func New(cfg Config) (*Protocol, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Revoked == nil {
		cfg.Revoked = func(*big.Int) bool { return false }
	}
	if cfg.NewVersion == nil {
		cfg.NewVersion = func() {}
	}
	// Backdated by a microsecond so that any offer made from now on is
	// newer than the key of sessions not yet negotiated.
	key, err := newSecret(cfg.Now().Add(-time.Microsecond), cfg.Rand)
	if err != nil {
		return nil, err
	}
	return &Protocol{
		cfg:     cfg,
		id:      cfg.Identity,
		network: cfg.Identity.CA.Network,
		certDER: cfg.Identity.Cert.Raw,
		ownFP:   identity.FingerprintSHA1(cfg.Identity.Cert),
		version: cfg.Version,
		initKey: key,
		peers:   map[string]*session{},
		dropped: map[string]uint64{},
	}, nil
}

// Version returns the network version the node holds.
func (p *Protocol) Version() []byte { return p.version }

// SetVersion records a network version fetched from the registry.
func (p *Protocol) SetVersion(v []byte) { p.version = v }

func (p *Protocol) drop(reason string) []Datagram {
	p.dropped[reason]++
	return nil
}

// Dropped returns how many datagrams were dropped, by reason.
func (p *Protocol) Dropped() map[string]uint64 {
	out := make(map[string]uint64, len(p.dropped))
	for k, v := range p.dropped {
		out[k] = v
	}
	return out
}

func (p *Protocol) newSession(prefix string) *session {
	s := &session{prefix: prefix, key: p.initKey, recvSeq: 2, sendSeq: 2}
	p.peers[prefix] = s
	return s
}

// lookup finds the known peer whose prefix starts the sender's bits.
func (p *Protocol) lookup(bits string) *session {
	for n := len(bits); n > 0; n-- {
		if s, ok := p.peers[bits[:n]]; ok {
			return s
		}
	}
	return nil
}

// peerAddr is where messages to a peer go: its subnet address, which it
// answers as the subnet-router anycast address of its prefix.
func (p *Protocol) peerAddr(prefix string) netip.AddrPort {
	a, _ := identity.AddrFromBits(p.network + prefix)
	return netip.AddrPortFrom(a, Port)
}

// Receive processes one datagram and returns the datagrams to send back.
func (p *Protocol) Receive(from netip.AddrPort, b []byte) []Datagram {
	src := from.Addr().Unmap()
	if src == netip.IPv6Loopback() {
		return p.receiveLocal(from, b)
	}
	if src.Zone() != "" {
		return p.drop("scoped source")
	}
	if len(b) <= 4 {
		return p.drop("too short")
	}
	bits := identity.BitsFromAddr(src, 128)
	if !src.Is6() || !strings.HasPrefix(bits, p.network) {
		return p.drop("source outside the network")
	}
	p.received++
	sender := bits[len(p.network):]
	s := p.lookup(sender)
	body := b[4:]
	switch seq := binary.BigEndian.Uint32(b); seq {
	case seqHello0:
		out, _ := p.hello0(from, sender, s, hello0{certDER: body})
		return out
	case seqHello0FP:
		h, err := decodeHello0FP(body, true)
		if err != nil {
			return p.drop("bad hello0")
		}
		out, certOK := p.hello0(from, sender, s, h)
		if certOK {
			return out
		}
		// Maybe an old sender without the protocol integer: read again.
		if h, err = decodeHello0FP(body, false); err != nil {
			return p.drop("bad hello0")
		}
		out, certOK = p.hello0(from, sender, s, h)
		if !certOK {
			return p.drop("bad certificate")
		}
		return out
	case seqHello:
		return p.hello(from, s, body)
	default:
		return p.data(from, s, b)
	}
}

// hello0 handles a certificate. certOK false means the certificate did not
// verify (the caller may retry another reading).
func (p *Protocol) hello0(from netip.AddrPort, sender string, s *session, h hello0) ([]Datagram, bool) {
	now := p.cfg.Now()
	cert, err := x509.ParseCertificate(h.certDER)
	if err != nil {
		return nil, false
	}
	if err := identity.VerifyCert(p.id.CA.Cert, cert, now); err != nil {
		return nil, false
	}
	if p.cfg.Revoked(cert.SerialNumber) {
		return nil, false
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, false
	}
	prefix, err := identity.PrefixFromCN(cert.Subject.CommonName)
	if err != nil {
		return nil, false
	}
	if s == nil || s.prefix != prefix {
		if !strings.HasPrefix(sender, prefix) {
			p.cfg.Log.Debug("certificate from the wrong source", "prefix", identity.CN(prefix), "source", from.Addr())
			return p.drop("certificate from the wrong source"), true
		}
		if s = p.peers[prefix]; s == nil {
			s = p.newSession(prefix)
		}
	}
	s.cert, s.pub, s.serial, s.stopDate = cert, pub, cert.SerialNumber, cert.NotAfter
	s.helloProtocol = h.protocol
	if h.fingerprint != nil && bytes.Equal(h.fingerprint, p.ownFP[:]) {
		msg, err := p.offer(s)
		if err != nil {
			p.cfg.Log.Warn("cannot offer a session", "peer", identity.CN(prefix), "err", err)
			return nil, true
		}
		return []Datagram{{from, msg}}, true
	}
	if msg := p.hello0For(s, now); msg != nil {
		return []Datagram{{from, msg}}, true
	}
	return nil, true
}

// hello0For returns our certificate hello for s, if its spacing allows.
func (p *Protocol) hello0For(s *session, now time.Time) []byte {
	if !s.hello0Allowed(now) {
		return nil
	}
	if s.cert == nil {
		return encodeHello0(0, nil, p.certDER)
	}
	fp := identity.FingerprintSHA1(s.cert)
	return encodeHello0(ProtocolVersion, fp[:], p.certDER)
}

// offer starts a session with a fresh secret and returns the hello.
func (p *Protocol) offer(s *session) ([]byte, error) {
	key, err := newSecret(p.cfg.Now(), p.cfg.Rand)
	if err != nil {
		return nil, err
	}
	c, err := identity.Encrypt(s.pub, key)
	if err != nil {
		return nil, err
	}
	sig, err := identity.Sign(p.id.Key, c)
	if err != nil {
		return nil, err
	}
	s.startSession(key)
	return encodeHello(ProtocolVersion, s.protocol != 0, c, sig), nil
}

// hello handles a session offer.
func (p *Protocol) hello(from netip.AddrPort, s *session, body []byte) []Datagram {
	if s == nil || s.pub == nil {
		return p.drop("hello from unknown peer")
	}
	protocol, c, sig, err := decodeHello(body)
	if err != nil {
		return p.drop("bad hello")
	}
	if identity.Verify(s.pub, c, sig) != nil {
		return p.drop("bad hello signature")
	}
	key, err := identity.Decrypt(p.id.Key, c)
	if err != nil || len(key) != secretLen {
		return p.drop("undecryptable hello")
	}
	s.helloProtocol = protocol
	if err := s.acceptSession(key); err != nil {
		return p.drop("stale session offer")
	}
	s.version = p.version
	return []Datagram{p.sendData(from, s, append([]byte{CodeVersion}, p.version...))}
}

// data handles an authenticated message.
func (p *Protocol) data(from netip.AddrPort, s *session, b []byte) []Datagram {
	if s == nil {
		return p.drop("data from unknown peer")
	}
	payload, err := s.decode(b)
	if err != nil {
		return p.drop("unauthenticated data")
	}
	if len(payload) == 0 {
		return nil // an acknowledgement
	}
	// Every non-empty message gets an answer, or at least an ack, so that
	// the sender knows we are still there.
	answer, ok := p.process(s.prefix, s.protocol, payload)
	reply := []byte{}
	if ok && len(answer) > 0 {
		reply = append([]byte{payload[0]}, answer...)
	}
	out := []Datagram{p.sendData(from, s, reply)}
	if fwd := p.forwarded(s.prefix, payload); fwd != nil {
		out = append(out, *fwd)
	}
	return out
}

func (p *Protocol) sendData(to netip.AddrPort, s *session, payload []byte) Datagram {
	msg := s.encode(payload)
	if len(payload) > 0 {
		s.sent(p.cfg.Now())
	}
	return Datagram{to, msg}
}

// forwarded returns the message that carries a peer's answer to a
// registry question back to the registry.
func (p *Protocol) forwarded(peer string, payload []byte) *Datagram {
	if payload[0]&forwardedBit == 0 || len(payload) == 1 || !p.forward.IsValid() {
		return nil
	}
	msg := append([]byte(peer+"\x00"), payload[0]&^forwardedBit)
	return &Datagram{p.forward, append(msg, payload[1:]...)}
}

// process handles a request; peer "" is the local registry.
func (p *Protocol) process(peer string, protocol uint64, payload []byte) ([]byte, bool) {
	c, data := payload[0], payload[1:]
	if c&forwardedBit != 0 && len(data) > 0 {
		return nil, false // an answer for the registry: see forwarded
	}
	code := c &^ forwardedBit
	if code == CodeVersion {
		return p.versionMessage(peer, data)
	}
	return p.cfg.Handler.Request(Request{Peer: peer, Protocol: protocol, Code: code, Data: data})
}

// versionMessage handles code 0: a peer telling its network version, or
// the registry telling that the configuration changed.
func (p *Protocol) versionMessage(peer string, v []byte) ([]byte, bool) {
	if peer == "" {
		p.cfg.NewVersion()
		return nil, false
	}
	defer func() {
		if s := p.peers[peer]; s != nil {
			s.version = p.version
		}
	}()
	if bytes.Equal(v, p.version) || !p.validVersion(v) {
		return nil, false
	}
	if bytes.Compare(v, p.version) < 0 {
		return p.version, true
	}
	p.version = v
	p.cfg.NewVersion()
	return nil, false
}

// validVersion checks a version blob: an integer signed by the CA.
func (p *Protocol) validVersion(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	n := 1 + int(v[0]>>5)
	if len(v) <= n {
		return false
	}
	return p.id.CA.VerifySig(v[:n], v[n:]) == nil
}

// receiveLocal handles the registry's questions on [::1]:326:
// "<prefix>\0<code>[data]".
func (p *Protocol) receiveLocal(from netip.AddrPort, b []byte) []Datagram {
	prefix, msg, ok := bytes.Cut(b, []byte{0})
	if !ok || len(prefix) == 0 || identity.CheckBits(string(prefix)) != nil {
		return p.drop("bad registry query")
	}
	if len(msg) == 0 {
		return nil
	}
	p.forward = from
	if string(prefix) == p.id.Prefix {
		answer, ok := p.process("", 0, msg)
		if !ok || len(answer) == 0 {
			return nil
		}
		reply := append(append([]byte(nil), prefix...), 0, msg[0])
		return []Datagram{{from, append(reply, answer...)}}
	}
	return p.SendTo(string(prefix), append([]byte{msg[0] | forwardedBit}, msg[1:]...))
}

// SendTo sends msg (code and data) to a peer when a session is up; nil
// only makes sure one is being set up. Without a session the message is
// dropped and a handshake starts: callers retry later, as re6st does.
func (p *Protocol) SendTo(prefix string, msg []byte) []Datagram {
	now := p.cfg.Now()
	to := p.peerAddr(prefix)
	s := p.peers[prefix]
	if s == nil {
		s = p.newSession(prefix)
	} else if s.connected(now) {
		if msg == nil {
			return nil
		}
		return []Datagram{p.sendData(to, s, msg)}
	}
	if hello := p.hello0For(s, now); hello != nil {
		return []Datagram{{to, hello}}
	}
	return nil
}

// Connected reports whether a session with the peer is up.
func (p *Protocol) Connected(prefix string) bool {
	s := p.peers[prefix]
	return s != nil && s.connected(p.cfg.Now())
}

// BroadcastVersion sends our network version to the given neighbours that
// are not known to hold it, and starts sessions with the others.
func (p *Protocol) BroadcastVersion(neighbours []string) []Datagram {
	var out []Datagram
	for _, prefix := range neighbours {
		s := p.peers[prefix]
		if s == nil {
			out = append(out, p.SendTo(prefix, nil)...)
			continue
		}
		if bytes.Compare(s.version, p.version) >= 0 {
			continue
		}
		connected := s.connected(p.cfg.Now())
		out = append(out, p.SendTo(prefix, append([]byte{CodeVersion}, p.version...))...)
		if connected {
			s.version = p.version
		}
	}
	return out
}

// Forget drops peers whose certificate expired before now or whose serial
// is revoked, and returns their prefixes.
func (p *Protocol) Forget(now time.Time) []string {
	var gone []string
	for prefix, s := range p.peers {
		if (!s.stopDate.IsZero() && s.stopDate.Before(now)) || (s.serial != nil && p.cfg.Revoked(s.serial)) {
			delete(p.peers, prefix)
			gone = append(gone, prefix)
		}
	}
	sort.Strings(gone)
	return gone
}

// Serial returns the certificate serial of a peer whose certificate we
// hold, or nil.
func (p *Protocol) Serial(prefix string) *big.Int {
	if s := p.peers[prefix]; s != nil {
		return s.serial
	}
	return nil
}

// PeerInfo is what the node shows of a peer session.
type PeerInfo struct {
	Prefix    string
	Connected bool
	Protocol  uint64
	Serial    *big.Int
	NotAfter  time.Time
}

// Peers lists the known peers, sorted by prefix.
func (p *Protocol) Peers() []PeerInfo {
	now := p.cfg.Now()
	out := make([]PeerInfo, 0, len(p.peers))
	for _, s := range p.peers {
		out = append(out, PeerInfo{s.prefix, s.connected(now), s.protocol, s.serial, s.stopDate})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out
}
