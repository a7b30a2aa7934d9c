package babel_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// TestLabHMACRotation: three of our speakers in a line rotate their key
// the way re6st does (sign old and accept new, sign new and accept old,
// sign new; each step on every node before the next), over real sockets,
// while h1 sends echo requests to h3 through h2: not one may be lost, and
// no packet refused.
func TestLabHMACRotation(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	hs := lab.Hosts()
	veth(t, hs[0], hs[1], "r0", "l1")
	veth(t, hs[1], hs[2], "r1", "l2")
	k0, _ := wire.NewKey("k0", wire.Blake2s128, []byte("0123456789abcdef"))
	k1, _ := wire.NewKey("k1", wire.HMACSHA256, []byte("fedcba9876543210"))
	ifaces := [][]string{{"r0"}, {"l1", "r1"}, {"l2"}}
	var ours []*ourSpeaker
	for i, h := range hs {
		h.Run(t, "ip", "-6", "addr", "add", fmt.Sprintf("2001:db8:%d::1/128", i+1), "dev", "lo", "nodad")
		cfg := nodeConfig(i+1, time.Second)
		cfg.Auth = babel.Auth{Sign: &k0}
		ours = append(ours, startOurs(t, h, cfg, babel.Tunnel, ifaces[i]...))
	}
	netlab.WaitFor(t, 30*time.Second, "h1 reaches h3", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := hs[0].Ping(ctx, "2001:db8:3::1", 1)
		return err
	})
	p, err := hs[0].Prober(netip.MustParseAddr("2001:db8:1::1"))
	if err != nil {
		t.Fatal(err)
	}
	stream := p.Stream(netip.MustParseAddr("2001:db8:3::1"), 50*time.Millisecond)
	defer stream.Stop()

	steps := []babel.Auth{{Sign: &k0, Accept: []wire.Key{k1}}, {Sign: &k1, Accept: []wire.Key{k0}}, {Sign: &k1}}
	for n, step := range steps {
		// Any two nodes a step apart understand each other: each step
		// goes to every node at once, and is done when every node has
		// sent a few packets (two Hellos at least) with its new keys.
		var before []uint64
		for _, o := range ours {
			before = append(before, sent(t, o))
			if err := o.sp.SetAuth(step); err != nil {
				t.Fatal(err)
			}
		}
		netlab.WaitFor(t, 10*time.Second, fmt.Sprintf("step %d in use on every node", n+1), func() error {
			for i, o := range ours {
				if k := sent(t, o) - before[i]; k < 4 {
					return fmt.Errorf("h%d sent %d packets since", i+1, k)
				}
			}
			return nil
		})
	}
	// Counted, not timed: replies a busy machine reads late still count.
	if sent, lost := stream.Finish(2 * time.Second); lost > 0 {
		t.Errorf("h1 → h3 during the rotation: %d of %d echo requests lost", lost, sent)
	} else {
		t.Logf("h1 → h3 during the rotation: %d echo requests, none lost", sent)
	}
	for i, o := range ours {
		snap, err := o.sp.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if snap.Stats.BadMAC != 0 || snap.Stats.BadPC != 0 {
			t.Errorf("h%d refused packets: %d bad MACs, %d bad PCs", i+1, snap.Stats.BadMAC, snap.Stats.BadPC)
		}
	}
}

// sent is how many packets o has sent.
func sent(t *testing.T, o *ourSpeaker) uint64 {
	snap, err := o.sp.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	return snap.Stats.TxPackets
}
