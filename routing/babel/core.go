package babel

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
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

// Kernel installs routes: [kernel.Netlink] or [kernel.Fake]. Apply makes
// the changes in order and returns nil, or one error per change.
type Kernel interface {
	Apply(ops []kernel.Op) []error
}

// routeKey is (destination, source): the key of every table (RFC 9079).
// It is stored without zones or pointers, so that maps keyed by it are
// cheap to hash and the garbage collector need not scan them.
type routeKey struct {
	dstAddr, srcAddr [16]byte
	dstBits, srcBits uint8
	v4               bool
}

// makeKey builds the key of (dst, src); both have the same family.
func makeKey(dst, src netip.Prefix) routeKey {
	dst, src = dst.Masked(), src.Masked()
	return routeKey{dstAddr: dst.Addr().As16(), srcAddr: src.Addr().As16(),
		dstBits: uint8(dst.Bits()), srcBits: uint8(max(src.Bits(), 0)), v4: dst.Addr().Is4()}
}

func (k routeKey) prefix(a [16]byte, bits uint8) netip.Prefix {
	if k.v4 {
		return netip.PrefixFrom(netip.AddrFrom16(a).Unmap(), int(bits))
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), int(bits))
}

func (k routeKey) dst() netip.Prefix { return k.prefix(k.dstAddr, k.dstBits) }
func (k routeKey) src() netip.Prefix { return k.prefix(k.srcAddr, k.srcBits) }

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
	tlvs []wire.TLV
	// updates may hold a key more than once: flush sorts and compacts it.
	updates []routeKey
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

// addUpdate queues an Update for k. Duplicates are dropped at flush, at
// most a second later.
func (o *outbox) addUpdate(k routeKey) { o.updates = append(o.updates, k) }

// compactKeys sorts keys as the wire likes them (longer prefixes first, so
// that prefix compression works) and drops duplicates.
func compactKeys(keys []routeKey) []routeKey {
	slices.SortFunc(keys, compareKeys)
	return slices.Compact(keys)
}

func compareKeys(a, b routeKey) int {
	if a.dstBits != b.dstBits {
		return int(b.dstBits) - int(a.dstBits)
	}
	if c := bytes.Compare(a.dstAddr[:], b.dstAddr[:]); c != 0 {
		return c
	}
	if a.srcBits != b.srcBits {
		return int(b.srcBits) - int(a.srcBits)
	}
	return bytes.Compare(a.srcAddr[:], b.srcAddr[:])
}

// core is the protocol state machine. It is not safe for concurrent use:
// [Speaker] runs it on one goroutine.
type core struct {
	cfg  Config
	log  *slog.Logger
	rng  *rand.Rand
	tx   Transport
	kern Kernel
	// watched reports whether anyone subscribed to events; events and
	// dirty hold what changed in the current round.
	watched func() bool
	events  []Event
	dirty   map[routeKey]struct{}

	now    time.Time
	epoch  time.Time // origin of the µs timestamp clock
	seqno  uint16
	ifaces map[int]*iface
	neighs map[neighKey]*neighbour
	// multipliers survive the neighbour (set before it appears or re-created).
	multipliers map[neighKey]uint16
	routes      map[routeKey]*entry
	xroutes     map[routeKey]Xroute
	resends     []resend
	forwarded   map[routeKey]*pendingRequest
	own         map[routeKey]*ownRequest
	sent        map[sourceKey]sentRequest
	kowner      map[kernel.Key]routeKey
	// verifyKeys are the keys a received packet may be signed with.
	verifyKeys []wire.Key
	// kops are the kernel changes not yet committed, kopKeys their keys.
	kops    []kernel.Op
	kopKeys []routeKey
	// before is changeVia's scratch space, kept between calls.
	before []before

	nextCheck, nextExpiry, nextSourceGC time.Time
	stats                               Stats
}

func newCore(cfg Config, log *slog.Logger, tx Transport, kern Kernel, now time.Time, seed uint64) *core {
	c := &core{
		cfg: cfg, log: log, tx: tx, kern: kern, watched: func() bool { return false },
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:    now,
		epoch:  now.Add(-time.Second), // never 0 at start
		seqno:  cfg.Seqno,
		ifaces: map[int]*iface{}, neighs: map[neighKey]*neighbour{},
		multipliers: map[neighKey]uint16{},
		routes:      map[routeKey]*entry{},
		xroutes:     map[routeKey]Xroute{}, forwarded: map[routeKey]*pendingRequest{},
		own:    map[routeKey]*ownRequest{},
		kowner: map[kernel.Key]routeKey{},
	}
	for _, x := range cfg.Xroutes {
		c.xroutes[xkey(x)] = x
	}
	c.setAuth(cfg.Auth)
	c.nextCheck = now
	c.nextExpiry = now.Add(5 * time.Second)
	c.nextSourceGC = now.Add(60 * time.Second)
	return c
}

func xkey(x Xroute) routeKey {
	return makeKey(x.Prefix.Masked(), wire.SrcOrZero(x.Prefix, x.Src).Masked())
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
