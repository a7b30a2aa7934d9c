package babel

import (
	"errors"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
)

// A neighbour first met through a unicast challenge has no Hello yet. Its
// entry, with the authentication state the challenge built, must last
// until its first Hello: otherwise, on a link shared by several nodes, the
// entry is flushed between the challenge and the Hello, the Hello then
// comes from an unknown index, and the challenges never end.
func TestChallengedNeighbourWaitsForItsHello(t *testing.T) {
	k, err := wire.NewKey("k", wire.Blake2s128, make([]byte, 16))
	if err != nil {
		t.Fatal(err)
	}
	s := newSim(t)
	a := s.node("a", Config{Auth: Auth{Sign: &k}})
	b := s.node("b", Config{Auth: Auth{Sign: &k}})
	s.connect(a, b, Wired)
	peer := ll(s.index(b), 1)
	// b sends a unicast challenge request, as the first thing a hears.
	w := wire.NewWriter(1400)
	if err := w.Add(wire.ChallengeRequest{Nonce: []byte("12345678")}); err != nil {
		t.Fatal(err)
	}
	pkt := w.Bytes(&wire.PC{Counter: 1, Index: []byte("bindex00")})
	pkt = wire.AppendMAC(pkt, k, peer, ll(s.index(a), 1))
	a.c.now = s.now
	a.c.receive(Datagram{Ifindex: 1, Src: peer, Dst: ll(s.index(a), 1), Data: pkt})
	key := neighKey{1, peer}
	if a.c.neighs[key] == nil {
		t.Fatal("no neighbour entry for the challenger")
	}
	a.c.now = s.now.Add(time.Second)
	a.c.checkNeighbours()
	if a.c.neighs[key] == nil {
		t.Fatal("the challenger's entry was flushed before its first Hello could arrive")
	}
	// Without any Hello, it goes after two Hello intervals.
	a.c.now = s.now.Add(3 * a.c.ifaces[1].Hello)
	a.c.checkNeighbours()
	if a.c.neighs[key] != nil {
		t.Error("a neighbour that never sends a Hello is kept")
	}
}

// A route the kernel refused to install (a preferred source not usable
// yet, say) is installed at a later round, not only at the next change.
func TestRefusedInstallIsRetried(t *testing.T) {
	s := newSim(t)
	a := s.node("a", Config{Xroutes: []Xroute{xr("2001:db8:a::/48")}})
	b := s.node("b", Config{Xroutes: []Xroute{xr("2001:db8:b::/48")}})
	a.kern.Refuse = errors.New("invalid argument")
	s.connect(a, b, Tunnel)
	s.run(10 * time.Second)
	if a.kernelHas("2001:db8:b::/48 via fe80::201 dev 1") {
		t.Fatal("the refusing kernel has the route")
	}
	a.kern.Refuse = nil
	s.runUntil(time.Minute, "the refused route installed", func() bool {
		return a.kernelHas("2001:db8:b::/48 via fe80::201 dev 1")
	})
}
