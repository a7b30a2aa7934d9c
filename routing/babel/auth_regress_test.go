package babel

import (
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
