package trace

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Tracer runs traces. The zero value uses real sockets.
type Tracer struct {
	dial func(Config, uint16) (conn, error) // nil: listen
}

// Run traces with a zero Tracer; see [Tracer.Run].
func Run(ctx context.Context, cfg Config, updates chan<- Hop) ([]Hop, error) {
	return (&Tracer{}).Run(ctx, cfg, updates)
}

// Run probes the path to cfg.Dst and returns its hops, up to the one where
// the path ends. Each hop is sent on updates (when not nil) as soon as it
// and every hop before it has its round's answers, and again when one of
// its names resolves; Run waits for the receiver, so drain updates promptly
// or buffer it (a stalled receiver makes answers count as lost). Run blocks
// until every round is done, and returns what it has with ctx's error when
// ctx ends first.
func (t *Tracer) Run(ctx context.Context, cfg Config, updates chan<- Hop) ([]Hop, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dial := t.dial
	if dial == nil {
		dial = func(c Config, id uint16) (conn, error) { return listen(c, id) }
	}
	c, err := dial(cfg, uint16(rand.Uint32()))
	if err != nil {
		return nil, err
	}
	// Lookups end with the run, whatever ends it.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := newRun(cfg, c, updates)
	go r.read()
	defer func() {
		c.close()
		<-r.readDone
	}()
	err = r.all(ctx)
	return r.result(), err
}

type packet struct {
	b    []byte
	from netip.Addr
	at   time.Time
}

type nameResult struct {
	addr netip.Addr
	name string
}

// slot is one probe in flight.
type slot struct {
	ttl, idx int
	sent     time.Time
	done     bool
}

type run struct {
	cfg      Config
	c        conn
	m        matcher
	out      chan<- Hop
	hops     []Hop // index ttl-FirstHop
	limit    int   // last hop limit worth probing
	seq      uint16
	sentOK   bool // a probe left: later send errors are the path's, not ours
	packets  chan packet
	readDone chan struct{}
	names    chan nameResult
	asked    map[netip.Addr]bool
	lookups  int // reverse lookups still running
}

func newRun(cfg Config, c conn, out chan<- Hop) *run {
	r := &run{
		cfg: cfg, c: c, m: c.matcher(), out: out,
		hops:     make([]Hop, cfg.MaxHops-cfg.FirstHop+1),
		limit:    cfg.MaxHops,
		packets:  make(chan packet, 256),
		readDone: make(chan struct{}),
		names:    make(chan nameResult),
		asked:    map[netip.Addr]bool{},
	}
	for i := range r.hops {
		r.hops[i].TTL = cfg.FirstHop + i
	}
	return r
}

// read feeds r.packets until the conn closes.
func (r *run) read() {
	defer close(r.readDone)
	defer close(r.packets) // the round sees the socket die instead of waiting out timeouts
	buf := make([]byte, 1500)
	for {
		n, from, err := r.c.recv(buf)
		if err != nil {
			return
		}
		p := packet{b: append([]byte(nil), buf[:n]...), from: from, at: time.Now()}
		select {
		case r.packets <- p:
		default: // the loop fell behind; the probe will count as lost
		}
	}
}

func (r *run) all(ctx context.Context) error {
	for n := 1; r.cfg.Rounds < 0 || n <= r.cfg.Rounds; n++ {
		if n > 1 {
			if err := r.pause(ctx, r.cfg.Interval); err != nil {
				return err
			}
		}
		if err := r.round(ctx, n); err != nil {
			return err
		}
	}
	for r.lookups > 0 {
		if err := r.pause(ctx, 0); err != nil {
			return err
		}
	}
	return nil
}

// pause waits d (or, with d == 0, for one name result) while still
// handling name results.
func (r *run) pause(ctx context.Context, d time.Duration) error {
	var tc <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tc = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tc:
			return nil
		case nr := <-r.names:
			if err := r.named(ctx, nr); err != nil || d == 0 {
				return err
			}
		}
	}
}

func (r *run) result() []Hop {
	out := make([]Hop, 0, r.limit-r.cfg.FirstHop+1)
	for _, h := range r.hops[:r.limit-r.cfg.FirstHop+1] {
		if h.Round > 0 {
			out = append(out, h.clone())
		}
	}
	return out
}

func (r *run) emit(ctx context.Context, h *Hop) error {
	if r.out == nil {
		return nil
	}
	select {
	case r.out <- h.clone():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errClosed = errors.New("trace: socket closed while tracing")
