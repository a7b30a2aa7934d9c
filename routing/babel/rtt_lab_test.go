package babel_test

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// TestLabRTT: babeld and our speaker must measure each other's RTT from the
// timestamps (RFC 9616). With netem, 30 ms of delay is added on our side and
// must show; without it (no sch_netem) both must still report a small RTT.
// Small, not tiny: babeld stamps a Hello when it queues it and sends the
// packet after a flush delay, which our measure of it includes (13–30 ms
// here on a veth whose ping takes under 1 ms, the first sample doubled as
// both speakers do), and a loaded machine adds its own delays.
func TestLabRTT(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 2})
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	lo, hi := time.Duration(1), 100*time.Millisecond
	if out, err := h2.Command(t.Context(), "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "30ms").CombinedOutput(); err == nil {
		lo, hi = 20*time.Millisecond, 200*time.Millisecond
	} else {
		t.Logf("no netem (%s): checking RTT measurement without added delay", out)
	}
	bd := startBabeld(t, h1, babeldConf(""), "1")
	ours := startOurs(t, h2, babel.Config{RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}, Hello: time.Second,
		Xroutes: []babel.Xroute{{Prefix: netip.MustParsePrefix("2001:db8:b::/48")}}}, babel.Tunnel)
	rttRe := regexp.MustCompile(`address ` + regexp.QuoteMeta(ours.link.LinkLocal.String()) + ` .* rtt ([0-9.]+) rttcost ([0-9]+)`)
	inRange := func(d time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("rtt %v, want between %v and %v", d, lo, hi)
		}
		return nil
	}
	netlab.WaitFor(t, 30*time.Second, "babeld measures our RTT", func() error {
		lines, err := bd.dump()
		if err != nil {
			return err
		}
		for _, l := range lines {
			if m := rttRe.FindStringSubmatch(l); m != nil {
				ms, _ := strconv.ParseFloat(m[1], 64)
				return inRange(time.Duration(ms * float64(time.Millisecond)))
			}
		}
		return fmt.Errorf("no rtt for us in babeld's dump: %q", lines)
	})
	netlab.WaitFor(t, 30*time.Second, "we measure babeld's RTT", func() error {
		snap, err := ours.sp.Snapshot()
		if err != nil {
			return err
		}
		for _, n := range snap.Neighbours {
			if n.Addr == h1.LinkLocal {
				if lo > 10*time.Millisecond && n.RTTCost == 0 {
					return fmt.Errorf("rtt %v but no rtt cost", n.RTT)
				}
				return inRange(n.RTT)
			}
		}
		return fmt.Errorf("no neighbour %v", h1.LinkLocal)
	})
}
