package babel

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
)

// re6st rotates the Babel key in three steps, each applied by every node
// (at its own time) before the next: sign old and accept new, sign new and
// accept old, sign new. Routes must stay up throughout, and no packet may
// be refused. Dropping the old key before every node signs with the new
// one must cut the links: that is what makes the order matter.
func TestHMACRotationKeepsRoutes(t *testing.T) {
	k0, _ := wire.NewKey("k0", wire.Blake2s128, []byte("0123456789abcdef"))
	k1, _ := wire.NewKey("k1", wire.HMACSHA256, []byte("fedcba9876543210"))
	steps := []Auth{{Sign: &k0, Accept: []wire.Key{k1}}, {Sign: &k1, Accept: []wire.Key{k0}}, {Sign: &k1}}
	for _, tc := range []struct {
		name  string
		early bool // a node drops the old key while the others still sign with it
	}{{"in-order", false}, {"old-key-dropped-early", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			var ns []*simNode
			for i := range 3 {
				ns = append(ns, s.node(fmt.Sprintf("n%d", i), Config{Auth: Auth{Sign: &k0},
					Xroutes: []Xroute{xr(fmt.Sprintf("2001:db8:%d::/48", i+1))}}))
			}
			s.connect(ns[0], ns[1], Tunnel)
			s.connect(ns[1], ns[2], Tunnel)
			s.connect(ns[2], ns[0], Tunnel)
			dst := func(j int) netip.Addr { return netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::1", j+1)) }
			allUp := func() error {
				for i, n := range ns {
					for j := range ns {
						if i != j && !s.reaches(n, dst(j), ns[j]) {
							return fmt.Errorf("%s cannot reach %s at %v", n.name, ns[j].name, s.now)
						}
					}
				}
				return nil
			}
			s.runUntil(30*time.Second, "full reachability", func() bool { return allUp() == nil })
			s.run(30 * time.Second)
			apply := func(n *simNode, a Auth) {
				n.c.now = s.now
				n.c.setAuth(a)
				n.next = n.c.nextDeadline()
			}
			var broken error
			watch := func(d time.Duration) {
				until := s.now.Add(d)
				for s.step(until) {
					if err := allUp(); err != nil && broken == nil {
						broken = err
					}
				}
			}
			if tc.early {
				apply(ns[0], steps[2])
				watch(30 * time.Second)
				if broken == nil {
					t.Fatal("a node that dropped the old key too early kept its links: the test cannot fail")
				}
				return
			}
			for _, step := range steps {
				for _, n := range ns {
					apply(n, step)
					watch(3 * time.Second) // the others meet the change a Hello or two later
				}
			}
			watch(time.Minute)
			if broken != nil {
				t.Fatalf("routes lost during the rotation: %v", broken)
			}
			for _, n := range ns {
				if st := n.c.stats; st.BadMAC != 0 || st.BadPC != 0 {
					t.Errorf("%s refused packets during the rotation: %d bad MACs, %d bad PCs", n.name, st.BadMAC, st.BadPC)
				}
			}
		})
	}
}
