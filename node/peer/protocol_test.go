package peer

import (
	"bytes"
	"crypto/rand"
	"math/big"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/packint"
)

var network = netip.MustParsePrefix("2001:db8:42::/48")

// testCA is a small CA: the protocol does not care about key size as long
// as nodes and CA agree.
var testCA = idtest.NewCA(network, 1024, false)

// node is a Protocol on a fake network, with what its handler saw.
type node struct {
	*Protocol
	id       *identity.Identity
	addr     netip.AddrPort
	requests []Request
	answer   map[byte][]byte
	newVers  int
}

func (n *node) Request(r Request) ([]byte, bool) {
	n.requests = append(n.requests, r)
	a, ok := n.answer[r.Code]
	return a, ok && len(r.Data) == 0
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newNode(t testing.TB, c *clock, prefix string, serial int64, version []byte) *node {
	t.Helper()
	key := idtest.Key(1024, int(serial))
	cert := testCA.IssueFor(key, prefix, serial, c.t.Add(-time.Hour))
	id, err := identity.New(testCA.CA, cert, key, c.t)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{id: id, addr: netip.AddrPortFrom(id.Addr, Port), answer: map[byte][]byte{}}
	n.Protocol, err = New(Config{
		Identity: id, Version: version, Handler: n, Now: c.now, Rand: rand.Reader,
		NewVersion: func() { n.newVers++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// net delivers datagrams between nodes until none is left, returning what
// went elsewhere (to the registry).
type fakeNet struct {
	t     testing.TB
	nodes []*node
	log   []string
	lose  string // the kind (see kind) of the next datagram to lose
}

func (f *fakeNet) run(from *node, out []Datagram) []Datagram {
	type hop struct {
		from *node
		d    Datagram
	}
	queue := []hop{}
	for _, d := range out {
		queue = append(queue, hop{from, d})
	}
	var elsewhere []Datagram
	for n := 0; len(queue) > 0; n++ {
		if n > 100 {
			f.t.Fatal("messages loop forever")
		}
		h := queue[0]
		queue = queue[1:]
		var to *node
		for _, cand := range f.nodes {
			if cand.id.Subnet.Contains(h.d.To.Addr()) {
				to = cand
			}
		}
		if to == nil {
			elsewhere = append(elsewhere, h.d)
			continue
		}
		k := kind(h.d.Data)
		if k == f.lose {
			f.lose = ""
			f.log = append(f.log, "lost "+k)
			continue
		}
		f.log = append(f.log, k)
		for _, d := range to.Receive(h.from.addr, h.d.Data) {
			queue = append(queue, hop{to, d})
		}
	}
	return elsewhere
}

func kind(b []byte) string {
	switch b[3] {
	case 0, 1, 2:
		return string('0' + b[3])
	}
	if len(b) == 4+hmacLen {
		return "ack"
	}
	return "data"
}

func signedVersion(n uint64) []byte {
	v, _ := packint.Encode(n)
	sig, err := identity.Sign(testCA.Priv, v)
	if err != nil {
		panic(err)
	}
	return append(v, sig...)
}

func setup(t *testing.T) (*clock, *fakeNet, *node, *node) {
	c := &clock{time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	v := signedVersion(1)
	a := newNode(t, c, "0000000000000001", 1, v)
	b := newNode(t, c, "0000000000000010", 2, v)
	return c, &fakeNet{t: t, nodes: []*node{a, b}}, a, b
}

func TestHandshake(t *testing.T) {
	_, net, a, b := setup(t)
	net.run(a, a.SendTo(b.id.Prefix, nil))
	if got := strings.Join(net.log, " "); got != "0 1 2 data ack" {
		t.Errorf("exchange = %q, want hello0, hello0+fp, hello, version, ack", got)
	}
	if !a.Connected(b.id.Prefix) || !b.Connected(a.id.Prefix) {
		t.Fatal("session not up on both sides")
	}
	b.answer[CodeNodeInfo] = []byte("1.0, linux")
	net.run(a, a.SendTo(b.id.Prefix, []byte{CodeNodeInfo}))
	if len(b.requests) != 1 || b.requests[0].Code != CodeNodeInfo || b.requests[0].Peer != a.id.Prefix {
		t.Fatalf("b's requests = %+v", b.requests)
	}
	if b.requests[0].Protocol != ProtocolVersion {
		t.Errorf("peer protocol = %d, want %d", b.requests[0].Protocol, ProtocolVersion)
	}
	// The answer reaches a as code 4 with data, which its handler sees.
	if len(a.requests) != 1 || string(a.requests[0].Data) != "1.0, linux" {
		t.Errorf("a got %+v, want the node info answer", a.requests)
	}
}

func TestReplayAndForgeryDropped(t *testing.T) {
	_, net, a, b := setup(t)
	net.run(a, a.SendTo(b.id.Prefix, nil))
	out := a.SendTo(b.id.Prefix, []byte{CodeNodeInfo})
	net.run(a, out)
	before := len(b.requests)
	b.Receive(a.addr, out[0].Data) // replay
	forged := append([]byte(nil), out[0].Data...)
	forged[len(forged)-1] ^= 1
	b.Receive(a.addr, forged)
	if len(b.requests) != before {
		t.Error("a replayed or forged message was processed")
	}
	d := b.Dropped()
	if d["unauthenticated data"] != 2 {
		t.Errorf("dropped = %v, want 2 unauthenticated", d)
	}
}

func TestCrossingOffersAgree(t *testing.T) {
	c, net, a, b := setup(t)
	// Both learn each other's certificate first.
	net.run(a, a.SendTo(b.id.Prefix, nil))
	// Then both offer at once: the newer secret must win on both sides.
	offerA, err := a.offer(a.peers[b.id.Prefix])
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Millisecond)
	offerB, err := b.offer(b.peers[a.id.Prefix])
	if err != nil {
		t.Fatal(err)
	}
	outB := b.Receive(a.addr, offerA) // older than b's own offer: refused
	outA := a.Receive(b.addr, offerB) // newer: accepted
	net.run(b, outB)
	net.run(a, outA)
	ka, kb := a.peers[b.id.Prefix].key, b.peers[a.id.Prefix].key
	if !bytes.Equal(ka, kb) {
		t.Fatal("the two sides ended with different secrets")
	}
	net.run(a, a.SendTo(b.id.Prefix, []byte{CodeNodeInfo}))
	if len(b.requests) == 0 {
		t.Error("no message flows after crossing offers")
	}
}

func TestRevokedAndMisplacedCertificates(t *testing.T) {
	c, _, a, b := setup(t)
	revoked := big.NewInt(2)
	a.cfg.Revoked = func(s *big.Int) bool { return s.Cmp(revoked) == 0 }
	hello := b.SendTo(a.id.Prefix, nil)[0].Data
	if out := a.Receive(b.addr, hello); len(out) != 0 {
		t.Error("a answered a revoked certificate")
	}
	// A valid certificate sent from an address outside its prefix.
	d := newNode(t, c, "0000000000000011", 3, nil)
	wrong := netip.AddrPortFrom(netip.MustParseAddr("2001:db8:42:99::1"), Port)
	if out := a.Receive(wrong, d.SendTo(a.id.Prefix, nil)[0].Data); len(out) != 0 {
		t.Error("a accepted a certificate from the wrong source")
	}
	if a.Dropped()["certificate from the wrong source"] != 1 {
		t.Errorf("dropped = %v", a.Dropped())
	}
}

func TestVersionExchange(t *testing.T) {
	_, net, a, b := setup(t)
	net.run(a, a.SendTo(b.id.Prefix, nil))
	newer := signedVersion(2)
	b.SetVersion(newer)
	net.run(b, b.SendTo(a.id.Prefix, append([]byte{CodeVersion}, newer...)))
	if !bytes.Equal(a.Version(), newer) || a.newVers != 1 {
		t.Fatalf("a did not adopt the newer version (calls %d)", a.newVers)
	}
	// An older version gets ours in reply.
	older := signedVersion(1)
	out := b.Receive(a.addr, a.peers[b.id.Prefix].encode(append([]byte{CodeVersion}, older...)))
	if len(out) != 1 {
		t.Fatal("no reply to an older version")
	}
	payload, err := a.peers[b.id.Prefix].decode(out[0].Data)
	if err != nil || !bytes.Equal(payload[1:], newer) {
		t.Errorf("reply = %x, %v; want our version", payload, err)
	}
	// A forged version is ignored.
	forged := append([]byte{0x05}, make([]byte, 128)...)
	net.run(b, b.SendTo(a.id.Prefix, append([]byte{CodeVersion}, forged...)))
	if !bytes.Equal(a.Version(), newer) {
		t.Error("a forged version was adopted")
	}
}

func TestRegistryChannel(t *testing.T) {
	_, net, a, b := setup(t)
	b.answer[CodeAddress] = []byte("198.18.0.12,1194,tcp")
	registry := netip.AddrPortFrom(netip.IPv6Loopback(), 40000)
	query := append([]byte(b.id.Prefix+"\x00"), CodeAddress)
	// No session yet: the query starts a handshake and is dropped.
	net.run(a, a.Receive(registry, query))
	got := net.run(a, a.Receive(registry, query))
	want := b.id.Prefix + "\x00\x01198.18.0.12,1194,tcp"
	if len(got) != 1 || got[0].To != registry || string(got[0].Data) != want {
		t.Fatalf("registry got %q, want %q", got, want)
	}
	// A question about ourselves is answered directly.
	a.answer[CodeNodeInfo] = []byte("1.0, linux")
	out := a.Receive(registry, append([]byte(a.id.Prefix+"\x00"), CodeNodeInfo))
	if len(out) != 1 || string(out[0].Data) != a.id.Prefix+"\x00\x041.0, linux" {
		t.Errorf("local answer = %q", out)
	}
	a.Receive(registry, append([]byte(a.id.Prefix+"\x00"), CodeVersion))
	if a.newVers != 1 {
		t.Error("code 0 from the registry does not trigger a configuration fetch")
	}
}

func TestPeerGoneAfterSilence(t *testing.T) {
	c, net, a, b := setup(t)
	net.run(a, a.SendTo(b.id.Prefix, nil))
	// b disappears: a's message is never answered.
	a.SendTo(b.id.Prefix, []byte{CodeNodeInfo})
	c.t = c.t.Add(liveness + time.Second)
	if a.Connected(b.id.Prefix) {
		t.Fatal("still connected after a minute of silence")
	}
	out := a.SendTo(b.id.Prefix, []byte{CodeNodeInfo})
	if len(out) != 1 || kind(out[0].Data) != "1" {
		t.Errorf("after silence, send = %v, want a new hello0", out)
	}
	// Further hello0s are spaced 1 s, 2 s, 4 s … up to re6st's minute.
	var sent []time.Duration
	start := c.t
	for c.t.Before(start.Add(5 * time.Minute)) {
		if out := a.SendTo(b.id.Prefix, nil); len(out) != 0 {
			sent = append(sent, c.t.Sub(start))
		}
		c.t = c.t.Add(100 * time.Millisecond)
	}
	var gaps []time.Duration
	for i := 1; i < len(sent); i++ {
		gaps = append(gaps, sent[i]-sent[i-1])
	}
	want := []time.Duration{2, 4, 8, 16, 32, 60, 60, 60}
	for i := range want {
		want[i] *= time.Second
	}
	if len(gaps) < len(want) || !slices.Equal(gaps[:len(want)], want) {
		t.Errorf("hello0 spacing = %v, want %v then every minute", gaps, want)
	}
}

// One lost handshake datagram, or two first hello0s that cross, must not
// leave the pair without a session for re6st's minute: the next send,
// a second later, completes the handshake.
func TestHandshakeRecoversFromLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose string // the kind of datagram lost once
	}{
		{"lost-hello0", "0"},
		{"lost-hello0-answer", "1"},
		{"lost-offer", "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, net, a, b := setup(t)
			net.lose = tc.lose
			net.run(a, a.SendTo(b.id.Prefix, nil))
			if a.Connected(b.id.Prefix) && b.Connected(a.id.Prefix) {
				t.Fatal("no datagram was lost")
			}
			c.t = c.t.Add(hello0FirstWait)
			net.run(a, a.SendTo(b.id.Prefix, nil))
			net.run(b, b.SendTo(a.id.Prefix, nil))
			if !a.Connected(b.id.Prefix) || !b.Connected(a.id.Prefix) {
				t.Errorf("no session a second after losing a %s datagram; exchange %q", tc.lose, net.log)
			}
		})
	}
	t.Run("crossing-hello0s", func(t *testing.T) {
		c, net, a, b := setup(t)
		fromA, fromB := a.SendTo(b.id.Prefix, nil), b.SendTo(a.id.Prefix, nil)
		// Each learns the other's certificate, but may not answer yet.
		net.run(b, fromB)
		net.run(a, fromA)
		c.t = c.t.Add(hello0FirstWait)
		net.run(b, b.SendTo(a.id.Prefix, nil))
		if !a.Connected(b.id.Prefix) || !b.Connected(a.id.Prefix) {
			t.Errorf("no session a second after crossing hello0s; exchange %q", net.log)
		}
	})
}

func TestForgetExpiredAndRevoked(t *testing.T) {
	c, net, a, b := setup(t)
	net.run(a, a.SendTo(b.id.Prefix, nil))
	if gone := a.Forget(c.t); len(gone) != 0 {
		t.Fatalf("forgot %v", gone)
	}
	a.cfg.Revoked = func(s *big.Int) bool { return s.Int64() == 2 }
	if gone := a.Forget(c.t); len(gone) != 1 || gone[0] != b.id.Prefix {
		t.Errorf("forgot %v, want b", gone)
	}
}

func TestAddresses(t *testing.T) {
	list, errs := ParseAddresses("198.51.100.7,1194,tcp,FR;2001:db8:7::2,1194,tcp6,FR,extra;bad;1.2.3.4,x,tcp")
	if len(list) != 2 || len(errs) != 2 {
		t.Fatalf("parsed %v, errors %v", list, errs)
	}
	if got := FormatAddresses(list, false); got != "198.51.100.7,1194,tcp;2001:db8:7::2,1194,tcp6" {
		t.Errorf("without country: %q", got)
	}
	if got := FormatAddresses(list, true); got != "198.51.100.7,1194,tcp,FR;2001:db8:7::2,1194,tcp6,FR" {
		t.Errorf("with country: %q", got)
	}
}

func FuzzReceive(f *testing.F) {
	c := &clock{time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	v := signedVersion(1)
	a := newNode(f, c, "0000000000000001", 1, v)
	b := newNode(f, c, "0000000000000010", 2, v)
	net := &fakeNet{t: f, nodes: []*node{a, b}}
	net.run(a, a.SendTo(b.id.Prefix, nil))
	fp := identity.FingerprintSHA1(a.id.Cert)
	f.Add(encodeHello0(0, nil, b.certDER), false)
	f.Add(encodeHello0(ProtocolVersion, fp[:], b.certDER), false)
	f.Add(b.SendTo(a.id.Prefix, []byte{CodeAddress})[0].Data, false)
	f.Add([]byte("0000000000000010\x00\x01"), true)
	f.Add([]byte{0, 0, 0, 2, 0x0a, 1, 2, 3, 4}, false)
	f.Add([]byte{0, 0, 0, 1, 0xff, 0xff}, false)
	f.Fuzz(func(t *testing.T, msg []byte, local bool) {
		from := b.addr
		if local {
			from = netip.AddrPortFrom(netip.IPv6Loopback(), 1234)
		}
		a.Receive(from, msg)
	})
}

// A neighbour that misses our new version, here because the first
// handshake datagram was lost, gets it at a later round; one that has it
// gets nothing more.
func TestBroadcastVersionUntilHeld(t *testing.T) {
	c, net, a, b := setup(t)
	a.SetVersion(signedVersion(2))
	net.lose = "0"
	net.run(a, a.BroadcastVersion([]string{b.id.Prefix}))
	if b.newVers != 0 {
		t.Fatal("the version arrived through a lost datagram")
	}
	c.t = c.t.Add(hello0FirstWait)
	net.run(a, a.BroadcastVersion([]string{b.id.Prefix}))
	if b.newVers != 1 || !bytes.Equal(b.Version(), signedVersion(2)) {
		t.Fatalf("b got %d version messages, holds %x", b.newVers, b.Version())
	}
	if out := a.BroadcastVersion([]string{b.id.Prefix}); len(out) != 0 {
		t.Errorf("sent %d more datagrams to a neighbour holding our version", len(out))
	}
}
