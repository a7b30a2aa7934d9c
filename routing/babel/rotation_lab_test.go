package babel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// TestLabHMACRotation: three of our speakers in a line rotate their key
// the way re6st does (sign old and accept new, sign new and accept old,
// sign new; each step on every node before the next), over real sockets,
// while h1 pings h3 through h2: not one echo may be lost and no packet
// refused.
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
	ping := func(n int) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*time.Second)
		defer cancel()
		st, err := hs[0].Ping(ctx, "2001:db8:3::1", n)
		if err != nil {
			return err
		}
		if st.PacketsRecv < st.PacketsSent {
			return fmt.Errorf("%d of %d echoes answered", st.PacketsRecv, st.PacketsSent)
		}
		return nil
	}
	netlab.WaitFor(t, 30*time.Second, "h1 reaches h3", func() error { return ping(1) })

	steps := []babel.Auth{{Sign: &k0, Accept: []wire.Key{k1}}, {Sign: &k1, Accept: []wire.Key{k0}}, {Sign: &k1}}
	pings := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		// Rounds of 10 echoes until the rotation is over.
		for {
			if err := ping(10); err != nil {
				pings <- err
				return
			}
			select {
			case <-stop:
				pings <- nil
				return
			default:
			}
		}
	}()
	for _, step := range steps {
		for i, o := range ours {
			before := sent(t, o)
			if err := o.sp.SetAuth(step); err != nil {
				t.Fatal(err)
			}
			// Its neighbours have met the change once it sent a few
			// packets (two Hellos at least) with the new keys.
			netlab.WaitFor(t, 10*time.Second, fmt.Sprintf("h%d sends with the new keys", i+1), func() error {
				if n := sent(t, o) - before; n < 4 {
					return fmt.Errorf("%d packets sent", n)
				}
				return nil
			})
		}
	}
	close(stop)
	if err := <-pings; err != nil {
		t.Errorf("h1 → h3 during the rotation: %v", err)
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
