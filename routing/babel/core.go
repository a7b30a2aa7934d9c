package babel

import (
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

// Datagram is one Babel packet on an interface.
type Datagram struct {
	Ifindex  int
	Src, Dst netip.Addr
	Data     []byte
	// At is when the packet left the socket, for RTT samples: the speaker
	// may take it from its queue later. Zero means when it is processed.
	At time.Time
}

// Transport sends datagrams; received ones are handed to [Speaker.Run] by the
// caller through the channel given to it.
type Transport interface {
	Send(d Datagram) error
	Join(ifindex int) error
	Leave(ifindex int) error
}

// Kernel installs routes: [kernel.Netlink] or [kernel.Fake].
type Kernel interface {
	Replace(r kernel.Route) error
	Delete(r kernel.Route) error
}

// routeKey is (destination, source): the key of every table (RFC 9079).
type routeKey struct{ dst, src netip.Prefix }

type neighKey struct {
	ifindex int
	addr    netip.Addr
}

// iface is a Babel interface at run time.
type iface struct {
	Interface
	up           bool
	helloSeqno   uint16
	hellos       int // scheduled Hellos sent, for IHU pacing
	nextHello    time.Time
	feedback     time.Time // an extra Hello for a new neighbour
	lastFeedback time.Time
	nextUpdate   time.Time
	mc           outbox
	auth         ifaceAuth
}

// outbox buffers TLVs for one destination until its flush time.
type outbox struct {
	tlvs    []wire.TLV
	updates []routeKey
	queued  map[routeKey]bool
	full    bool
	flushAt time.Time
}

func (o *outbox) empty() bool { return len(o.tlvs) == 0 && len(o.updates) == 0 && !o.full }

// schedule makes the outbox flush no later than at.
func (o *outbox) schedule(at time.Time) {
	if o.flushAt.IsZero() || at.Before(o.flushAt) {
		o.flushAt = at
	}
}

func (o *outbox) addUpdate(k routeKey) {
	if o.queued == nil {
		o.queued = map[routeKey]bool{}
	}
	if !o.queued[k] {
		o.queued[k] = true
		o.updates = append(o.updates, k)
	}
}

// core is the protocol state machine. It is not safe for concurrent use:
// [Speaker] runs it on one goroutine.
type core struct {
	cfg  Config
	log  *slog.Logger
	rng  *rand.Rand
	tx   Transport
	kern Kernel
	emit func(Event)

	now    time.Time
	epoch  time.Time // origin of the µs timestamp clock
	seqno  uint16
	ifaces map[int]*iface
	neighs map[neighKey]*neighbour
	// multipliers survive the neighbour (set before it appears or re-created).
	multipliers map[neighKey]uint16
	sources     map[sourceKey]*source
	routes      map[routeKey]*entry
	xroutes     map[routeKey]Xroute
	resends     []resend
	forwarded   map[routeKey]*pendingRequest
	own         map[routeKey]*ownRequest
	sent        map[sourceKey]sentRequest
	kowner      map[kernel.Key]routeKey

	nextCheck, nextExpiry, nextSourceGC time.Time
	stats                               Stats
}

func newCore(cfg Config, log *slog.Logger, tx Transport, kern Kernel, now time.Time, seed uint64) *core {
	c := &core{
		cfg: cfg, log: log, tx: tx, kern: kern, emit: func(Event) {},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:    now,
		epoch:  now.Add(-time.Second), // never 0 at start
		seqno:  cfg.Seqno,
		ifaces: map[int]*iface{}, neighs: map[neighKey]*neighbour{},
		multipliers: map[neighKey]uint16{},
		sources:     map[sourceKey]*source{}, routes: map[routeKey]*entry{},
		xroutes: map[routeKey]Xroute{}, forwarded: map[routeKey]*pendingRequest{},
		own:    map[routeKey]*ownRequest{},
		kowner: map[kernel.Key]routeKey{},
	}
	for _, x := range cfg.Xroutes {
		c.xroutes[xkey(x)] = x
	}
	c.nextCheck = now
	c.nextExpiry = now.Add(5 * time.Second)
	c.nextSourceGC = now.Add(60 * time.Second)
	return c
}

func xkey(x Xroute) routeKey {
	return routeKey{x.Prefix.Masked(), wire.SrcOrZero(x.Prefix, x.Src).Masked()}
}

// timestamp is our µs clock modulo 2³², never 0.
func (c *core) timestamp() uint32 { return c.timestampAt(c.now) }

func (c *core) timestampAt(t time.Time) uint32 {
	v := uint32(t.Sub(c.epoch).Microseconds())
	if v == 0 {
		v = 1
	}
	return v
}

// roughly returns d jittered to [0.75d, 1.25d).
func (c *core) roughly(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d*3/4 + time.Duration(c.rng.Int64N(int64(d)/2+1))
}

// Stats counts packets and what was dropped.
type Stats struct {
	RxPackets, TxPackets, TxErrors uint64
	BadPackets                     uint64 // not Babel, bad source
	Drops                          [wire.NumDrops]uint64
	BadMAC, BadPC, Challenges      uint64
	OwnUpdates, Martians, Filtered uint64
	KernelErrors                   uint64
}
