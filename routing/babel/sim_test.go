package babel

import (
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

// sim runs several cores over in-memory links with a fake clock.
type sim struct {
	t     testing.TB
	now   time.Time
	nodes []*simNode
	links []*simLink
	queue []delivery
	delay time.Duration
	trace bool
	// lose, when set, decides whether a datagram sent by a node is lost.
	lose func(from *simNode, d Datagram) bool
}

type simNode struct {
	name string
	c    *core
	kern *kernel.Fake
	next time.Time
}

// simLink is a point-to-point or multi-access link; drop makes it silently
// lose every packet.
type simLink struct {
	ends []simEnd
	drop bool
}

type simEnd struct {
	node    *simNode
	ifindex int
	ll      netip.Addr
	cut     bool // this end silently loses what it sends and what is sent to it
}

type delivery struct {
	at   time.Time
	to   *simNode
	d    Datagram
	link *simLink
}

type simTransport struct {
	s    *sim
	node *simNode
}

func (t *simTransport) Join(int) error  { return nil }
func (t *simTransport) Leave(int) error { return nil }

func (t *simTransport) Send(d Datagram) error {
	s := t.s
	if s.lose != nil && s.lose(t.node, d) {
		return nil
	}
	if s.trace {
		p, _ := wire.Decode(d.Data)
		s.t.Logf("%s %s -> %v: %+v", s.now.Format("05.000"), t.node.name, d.Dst, p.TLVs)
	}
	for _, l := range s.links {
		var from *simEnd
		for i := range l.ends {
			if l.ends[i].node == t.node && l.ends[i].ifindex == d.Ifindex {
				from = &l.ends[i]
			}
		}
		if from == nil || from.cut {
			continue
		}
		for _, e := range l.ends {
			if e.node == t.node || e.cut || (!d.Dst.IsMulticast() && d.Dst != e.ll) {
				continue
			}
			nd := Datagram{Ifindex: e.ifindex, Src: d.Src, Dst: d.Dst, Data: slices.Clone(d.Data)}
			s.queue = append(s.queue, delivery{at: s.now.Add(s.delay), to: e.node, d: nd, link: l})
		}
	}
	return nil
}

func newSim(t testing.TB) *sim {
	return &sim{t: t, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), delay: time.Millisecond}
}

func rid(i int) wire.RouterID { return wire.RouterID{2, 0, 0, 0, 0, 0, 0, byte(i)} }

func testLogger() *slog.Logger {
	if os.Getenv("BABEL_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (s *sim) node(name string, cfg Config) *simNode {
	cfg.RouterID = rid(len(s.nodes) + 1)
	if cfg.Hello == 0 {
		cfg.Hello = 4 * time.Second
	}
	if err := cfg.defaults(); err != nil {
		s.t.Fatal(err)
	}
	n := &simNode{name: name, kern: &kernel.Fake{}}
	n.c = newCore(cfg, testLogger().With("node", name), &simTransport{s, n}, n.kern, s.now, uint64(len(s.nodes)+1))
	s.nodes = append(s.nodes, n)
	return n
}

func ll(node, ifindex int) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfe, 0x80, 14: byte(node), 15: byte(ifindex)})
}

func (s *sim) index(n *simNode) int { return slices.Index(s.nodes, n) + 1 }

// connect links a and b with a new interface on each; it returns the link.
func (s *sim) connect(a, b *simNode, kind Kind) *simLink {
	return s.share(fmt.Sprintf("%s-%s", a.name, b.name), kind, a, b)
}

// share puts nodes on one multi-access link (an OpenVPN server's tap shared
// by its clients), each on a new interface called name.
func (s *sim) share(name string, kind Kind, nodes ...*simNode) *simLink {
	l := &simLink{}
	for _, n := range nodes {
		idx := len(n.c.ifaces) + 1
		e := simEnd{node: n, ifindex: idx, ll: ll(s.index(n), idx)}
		l.ends = append(l.ends, e)
		n.c.now = s.now
		if err := n.c.addInterface(Interface{Name: name, Index: idx, Kind: kind, LinkLocal: e.ll}); err != nil {
			s.t.Fatal(err)
		}
		n.next = n.c.nextDeadline()
	}
	s.links = append(s.links, l)
	return l
}

// setLink brings both ends of l up or down (carrier change).
func (s *sim) setLink(l *simLink, up bool) {
	for _, e := range l.ends {
		e.node.c.now = s.now
		e.node.c.setUp(e.node.c.ifaces[e.ifindex], up)
		e.node.c.commit()
		e.node.next = e.node.c.nextDeadline()
	}
}

// step advances to the next event; it reports false if that is after until.
func (s *sim) step(until time.Time) bool {
	next := until.Add(time.Nanosecond)
	for _, n := range s.nodes {
		if n.next.Before(next) {
			next = n.next
		}
	}
	for _, d := range s.queue {
		if d.at.Before(next) {
			next = d.at
		}
	}
	if next.After(until) {
		s.now = until
		return false
	}
	s.now = next
	var rest []delivery
	due := s.queue
	s.queue = nil
	for _, d := range due {
		if d.at.After(s.now) {
			rest = append(rest, d)
			continue
		}
		if d.link.drop || d.to.c.ifaces[d.d.Ifindex] == nil {
			continue
		}
		d.to.c.now = s.now
		d.to.c.receive(d.d)
		d.to.c.commit()
		d.to.next = d.to.c.nextDeadline()
	}
	s.queue = append(rest, s.queue...)
	for _, n := range s.nodes {
		if !n.next.After(s.now) {
			n.next = n.c.tick(s.now)
			n.c.commit()
		}
	}
	return true
}

func (s *sim) run(d time.Duration) {
	until := s.now.Add(d)
	for s.step(until) {
	}
}

// runUntil advances until cond holds; it fails after max.
func (s *sim) runUntil(max time.Duration, what string, cond func() bool) time.Duration {
	s.t.Helper()
	start, until := s.now, s.now.Add(max)
	for !cond() {
		if !s.step(until) {
			s.t.Fatalf("%s: not after %v", what, max)
		}
	}
	return s.now.Sub(start)
}

// kernelHas reports whether n's kernel has a route line containing want.
func (n *simNode) kernelHas(want string) bool {
	for _, r := range n.kern.Routes() {
		if strings.HasPrefix(r.String(), want) {
			return true
		}
	}
	return false
}

// nextHop follows n's kernel route to dst, or returns nil.
func (s *sim) nextHop(n *simNode, dst netip.Addr) *simNode {
	var best *kernel.Route
	for _, r := range n.kern.Routes() {
		if r.Src.IsValid() && r.Src.Bits() > 0 {
			continue
		}
		if r.Dst.Contains(dst) && (best == nil || r.Dst.Bits() > best.Dst.Bits()) {
			rc := r
			best = &rc
		}
	}
	if best == nil || best.Unreachable {
		return nil
	}
	for _, l := range s.links {
		for _, e := range l.ends {
			if e.ll == best.Gateway {
				return e.node
			}
		}
	}
	return nil
}
