package babel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"re6st-tui/routing/babel/wire"
)

// ErrStopped is returned by calls made after Run returned.
var ErrStopped = errors.New("babel speaker is not running")

// Speaker is a Babel router. Create it with [New], start [Speaker.Run], then
// add interfaces; every method is safe for concurrent use.
type Speaker struct {
	cmds chan func(*core)
	done chan struct{}
	c    *core

	mu    sync.Mutex // guards subs
	subs  map[*subscriber]struct{}
	nsubs atomic.Int32 // len(subs), read by the speaker's goroutine
}

// New checks cfg and builds a speaker that sends with tx and installs routes with kern.
func New(cfg Config, tx Transport, kern Kernel, log *slog.Logger) (*Speaker, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.StateFile != "" {
		st, ok, err := takeState(cfg.StateFile)
		if err != nil {
			log.Warn("babel: starting without the saved router-id and seqno", "err", err)
		}
		if ok && (cfg.RouterID == (wire.RouterID{}) || !st.HasRouterID || st.RouterID == cfg.RouterID) {
			if cfg.RouterID == (wire.RouterID{}) && st.HasRouterID {
				cfg.RouterID = st.RouterID
			}
			cfg.Seqno = st.Seqno + 1 // as babeld: past anything we sent before the stop
		}
	}
	if cfg.RouterID == (wire.RouterID{}) {
		cfg.RouterID = randomRouterID()
	}
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Speaker{cmds: make(chan func(*core)), done: make(chan struct{}), subs: map[*subscriber]struct{}{}}
	s.c = newCore(cfg, log, tx, kern, time.Now(), rand.Uint64())
	s.c.watched = func() bool { return s.nsubs.Load() > 0 }
	return s, nil
}

// Run processes received datagrams and timers until ctx ends, then retracts
// our routes (wildcard retraction), removes installed kernel routes and returns.
func (s *Speaker) Run(ctx context.Context, rx <-chan Datagram) error {
	defer close(s.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	c := s.c
	for {
		next := c.tick(time.Now())
		c.commit()
		s.publish(c.takeEvents())
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			c.shutdown(time.Now())
			return s.saveState()
		case d, ok := <-rx:
			if !ok {
				c.shutdown(time.Now())
				return errors.Join(errors.New("babel: receive channel closed"), s.saveState())
			}
			c.now = time.Now()
			c.receive(d)
			drain(c, rx)
		case f := <-s.cmds:
			c.now = time.Now()
			f(c)
		case <-timer.C:
		}
	}
}

// saveState writes the state file after a clean stop.
func (s *Speaker) saveState() error {
	if s.c.cfg.StateFile == "" {
		return nil
	}
	return saveState(s.c.cfg.StateFile, savedState{RouterID: s.c.cfg.RouterID, HasRouterID: true, Seqno: s.c.seqno})
}

// randomRouterID is a random id with the EUI-64 group and global bits
// clear, as babeld picks one when no interface has a global MAC address.
func randomRouterID() wire.RouterID {
	var id wire.RouterID
	binary.BigEndian.PutUint64(id[:], rand.Uint64())
	id[0] &^= 3
	if id == (wire.RouterID{}) {
		id[7] = 1
	}
	return id
}

// maxBatch bounds the datagrams processed in one round, before timers run.
const maxBatch = 256

// drain processes the datagrams already queued, up to maxBatch, so that
// their kernel changes and events go out together.
func drain(c *core, rx <-chan Datagram) {
	for range maxBatch {
		select {
		case d, ok := <-rx:
			if !ok {
				return // Run sees the closed channel next
			}
			c.now = time.Now()
			c.receive(d)
		default:
			return
		}
	}
}

// do runs f on the speaker's goroutine and waits for it and its kernel
// changes.
func (s *Speaker) do(f func(*core)) error {
	ran := make(chan struct{})
	select {
	case s.cmds <- func(c *core) { f(c); c.commit(); s.publish(c.takeEvents()); close(ran) }:
		<-ran
		return nil
	case <-s.done:
		return ErrStopped
	}
}

// AddInterface starts Babel on an interface (tunnels come and go at run time).
func (s *Speaker) AddInterface(ifc Interface) error {
	var err error
	if e := s.do(func(c *core) { err = c.addInterface(ifc) }); e != nil {
		return e
	}
	return err
}

// RemoveInterface retracts our routes on it and forgets its neighbours.
func (s *Speaker) RemoveInterface(name string) error {
	var err error
	if e := s.do(func(c *core) { err = c.removeInterface(name) }); e != nil {
		return e
	}
	return err
}

// SetInterfaceUp reports carrier changes: down flushes its neighbours at once.
func (s *Speaker) SetInterfaceUp(name string, up bool) error {
	var err error
	if e := s.do(func(c *core) {
		ifc := c.ifaceByName(name)
		if ifc == nil {
			err = fmt.Errorf("babel: no interface %s", name)
			return
		}
		c.setUp(ifc, up)
	}); e != nil {
		return e
	}
	return err
}

// SetCostMultiplier scales the cost of the link to neighbour addr on ifname:
// 256 is neutral, 4096 drains the link, 0 makes it unusable while keeping the
// neighbour (re6st's tunnel killer).
func (s *Speaker) SetCostMultiplier(ifname string, addr netip.Addr, m uint16) error {
	var err error
	if e := s.do(func(c *core) { err = c.setMultiplier(ifname, addr, m) }); e != nil {
		return e
	}
	return err
}

// SetXroutes replaces the set of routes we originate.
func (s *Speaker) SetXroutes(xs []Xroute) error {
	return s.do(func(c *core) { c.setXroutes(xs) })
}

// SetAuth changes the MAC keys (RFC 8967) at run time, keeping neighbours
// and routes. To rotate keys without losing a link, apply each step on
// every node before the next: sign with the old key and accept the new one;
// sign with the new key and accept the old one; sign with the new key only.
func (s *Speaker) SetAuth(a Auth) error {
	return s.do(func(c *core) { c.setAuth(a) })
}

// Snapshot returns a copy of the current state.
func (s *Speaker) Snapshot() (Snapshot, error) {
	var snap Snapshot
	err := s.do(func(c *core) { snap = c.snapshot() })
	return snap, err
}

func (c *core) setMultiplier(ifname string, addr netip.Addr, m uint16) error {
	ifc := c.ifaceByName(ifname)
	if ifc == nil {
		return fmt.Errorf("babel: no interface %s", ifname)
	}
	k := neighKey{ifc.Index, addr.WithZone("")}
	c.multipliers[k] = m
	if n := c.neighs[k]; n != nil {
		n.multiplier = m
		c.updateCost(n)
	}
	return nil
}

func (c *core) setXroutes(xs []Xroute) {
	old := c.xroutes
	c.xroutes = map[routeKey]Xroute{}
	for _, x := range xs {
		c.xroutes[xkey(x)] = x
	}
	for k, x := range c.xroutes {
		if ox, ok := old[k]; !ok || ox.Metric != x.Metric {
			c.queueUpdate(k, true)
		}
		if e := c.routes[k]; e != nil {
			c.consider(k)
		}
	}
	for k := range old {
		if _, ok := c.xroutes[k]; !ok {
			c.seqno++ // make the retraction win over copies of the old announcement
			c.queueUpdate(k, true)
			c.scheduleResend(k)
			c.consider(k)
		}
	}
}
