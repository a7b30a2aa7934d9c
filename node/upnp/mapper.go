package upnp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Defaults of a [Config], from re6st.
const (
	DefaultRefresh = 500 * time.Second // re6st renews its mappings this often
	DefaultLease   = time.Hour         // so a crashed node's mappings expire
	DefaultRetry   = time.Minute       // after a failed renewal
	// Ports are picked in 32768–49151, and at most portTries of them
	// for one mapping.
	portBase  = 32768
	portRange = 16384
	portTries = 15
)

// Config says what to map.
type Config struct {
	Ports       []Port
	Description string        // prefix of each mapping's description, e.g. "re6stnet"
	Refresh     time.Duration // DefaultRefresh when 0
	Lease       time.Duration // DefaultLease when 0; the gateway may insist on none
	Log         *slog.Logger
	// OnRenew, when set, is called after each renewal Run makes, whether
	// it worked or not, with the mapper's status then.
	OnRenew func(Status)
	// Rand picks external ports; a seeded one when nil.
	Rand *rand.Rand
	// Discover, when set, finds the gateway again after a renewal
	// failed, as when the router restarted and serves UPnP elsewhere;
	// [Discover] is the usual choice.
	Discover func(context.Context) (Gateway, error)
}

// Mapper holds the mappings of a node's ports on one gateway.
type Mapper struct {
	cfg Config
	log *slog.Logger

	// op serialises the exchanges with the gateway (renewal, Close) and
	// guards gw, permOnly and closed.
	op       sync.Mutex
	gw       Gateway
	permOnly bool
	closed   bool

	mu      sync.Mutex // guards what follows, so Status never waits on the network
	ext     netip.Addr
	mapped  []uint16 // external port per cfg.Ports entry, 0 if unmapped
	gwName  string
	renewed time.Time
	lastErr error
}

// Status is what a Mapper holds, for logs and the node's state.
type Status struct {
	Gateway  string     // the gateway's service and address
	External netip.Addr // its public IPv4 address
	Ports    []Port     // the local ports, as configured
	Mapped   []uint16   // the external port of each, 0 when unmapped
	Renewed  time.Time  // when the mappings were last made or renewed
	Err      error      // why the last renewal failed, nil if it worked
}

// Entries returns the address list entries of s: the external address
// with each mapped port.
func (s Status) Entries() []Entry {
	var out []Entry
	for i, p := range s.Ports {
		if s.Mapped[i] != 0 && s.External.IsValid() {
			out = append(out, Entry{Addr: netip.AddrPortFrom(s.External, s.Mapped[i]), Proto: p.Proto})
		}
	}
	return out
}

// Status returns the mappings as they stand.
func (m *Mapper) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Status{Gateway: m.gwName, External: m.ext, Ports: slices.Clone(m.cfg.Ports),
		Mapped: slices.Clone(m.mapped), Renewed: m.renewed, Err: m.lastErr}
}

// gatewayName describes gw for people.
func gatewayName(gw Gateway) string {
	if s, ok := gw.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", gw)
}

// Start finds the gateway and maps every port on it, finding it again
// when a renewal fails. The caller runs Run and, at the end, Close.
func Start(ctx context.Context, cfg Config) (*Mapper, error) {
	if cfg.Discover == nil {
		cfg.Discover = Discover
	}
	gw, err := cfg.Discover(ctx)
	if err != nil {
		return nil, err
	}
	return Map(ctx, gw, cfg)
}

// Map maps every port on gw and returns the mapper holding them. On
// error, whatever was mapped is removed again.
func Map(ctx context.Context, gw Gateway, cfg Config) (*Mapper, error) {
	cfg.Ports = slices.Clone(cfg.Ports)
	for i, p := range cfg.Ports {
		proto, err := checkProto(p.Proto)
		if err != nil {
			return nil, err
		}
		cfg.Ports[i].Proto = proto
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Mapper{gw: gw, cfg: cfg, log: cfg.Log.With("source", "upnp"), mapped: make([]uint16, len(cfg.Ports)),
		gwName: gatewayName(gw)}
	if _, err := m.refresh(ctx); err != nil {
		m.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return m, nil
}

// Entries returns the address list entries the mappings make: the
// gateway's external address with each mapped port.
func (m *Mapper) Entries() []Entry { return m.Status().Entries() }

// Run renews the mappings every Refresh until ctx ends, retrying sooner
// after a failure. It does not remove them: Close does.
func (m *Mapper) Run(ctx context.Context) {
	t := time.NewTimer(m.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := m.refresh(ctx)
		next := m.cfg.Refresh
		if err != nil {
			m.log.Warn("renewing the port mappings failed; retrying", "err", err, "in", DefaultRetry)
			next = min(DefaultRetry, m.cfg.Refresh)
		}
		if m.cfg.OnRenew != nil {
			m.cfg.OnRenew(m.Status())
		}
		t.Reset(next)
	}
}

// Close removes every mapping, and returns the errors met; it tries them
// all regardless. A mapping it cannot remove (the gateway is gone) ends
// with its lease. Run renews nothing after Close.
func (m *Mapper) Close(ctx context.Context) error {
	m.op.Lock()
	defer m.op.Unlock()
	m.closed = true
	var errs []error
	for i, p := range m.cfg.Ports {
		port := m.port(i)
		if port == 0 {
			continue
		}
		if err := m.gw.Delete(ctx, p.Proto, port); err != nil {
			errs = append(errs, err)
			continue
		}
		m.log.Info("port mapping removed", "port", p.String(), "external", port)
		m.setPort(i, 0)
	}
	return errors.Join(errs...)
}

// refresh renews the mappings, or after a failure finds the gateway
// again when it can, and reports whether the entries changed.
func (m *Mapper) refresh(ctx context.Context) (bool, error) {
	m.op.Lock()
	defer m.op.Unlock()
	if m.closed {
		return false, nil
	}
	changed, err := m.renewOp(ctx)
	if err == nil || m.cfg.Discover == nil {
		m.record(err)
		return changed, err
	}
	gw, derr := m.cfg.Discover(ctx)
	if derr != nil {
		return changed, fmt.Errorf("%w; and finding the gateway again: %w", err, derr)
	}
	m.log.Info("gateway found again after a failed renewal", "err", err)
	// The old gateway's mappings cannot be reached any more; their
	// leases end them.
	m.gw, m.permOnly = gw, false
	m.mu.Lock()
	clear(m.mapped)
	m.gwName = gatewayName(gw)
	m.mu.Unlock()
	c2, err := m.renewOp(ctx)
	m.record(err)
	return changed || c2, err
}

// record notes the outcome of a renewal.
func (m *Mapper) record(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastErr = err
	if err == nil {
		m.renewed = time.Now()
	}
}

// renewOp learns the external address and (re)adds every mapping.
func (m *Mapper) renewOp(ctx context.Context) (bool, error) {
	ext, err := m.gw.ExternalIP(ctx)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	changed := ext != m.ext
	m.ext = ext
	m.mu.Unlock()
	for i, p := range m.cfg.Ports {
		had := m.port(i)
		port, err := m.mapOp(ctx, p, had)
		if err != nil {
			return changed, err
		}
		if port != had {
			m.log.Info("port mapped", "port", p.String(), "external", netip.AddrPortFrom(ext, port))
			changed = true
		}
		m.setPort(i, port)
	}
	return changed, nil
}

func (m *Mapper) port(i int) uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mapped[i]
}

func (m *Mapper) setPort(i int, port uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mapped[i] = port
}

// mapOp maps p, on the port it had when it had one, else on random
// ports until one is free.
func (m *Mapper) mapOp(ctx context.Context, p Port, had uint16) (uint16, error) {
	port := had
	for try := 0; try < portTries; try++ {
		if port == 0 {
			port = uint16(portBase + m.cfg.Rand.IntN(portRange))
		}
		err := m.add(ctx, p, port)
		if err == nil {
			return port, nil
		}
		if !errors.Is(err, ErrConflict) {
			return 0, err
		}
		m.log.Debug("external port taken, trying another", "port", p.String(), "external", port)
		port = 0
	}
	return 0, fmt.Errorf("upnp: map %s: %d external ports tried, all taken; free some mappings on the router", p, portTries)
}

func (m *Mapper) add(ctx context.Context, p Port, port uint16) error {
	mp := Mapping{Proto: p.Proto, External: netip.AddrPortFrom(netip.IPv4Unspecified(), port),
		Client: m.gw.LocalAddr(), Internal: p.Port,
		Description: fmt.Sprintf("%s (%d/%s)", m.cfg.Description, p.Port, p.Proto)}
	if !m.permOnly {
		mp.Lease = m.cfg.Lease
	}
	err := m.gw.Add(ctx, mp)
	if errors.Is(err, ErrPermanentOnly) && !m.permOnly {
		m.permOnly = true
		mp.Lease = 0
		err = m.gw.Add(ctx, mp)
	}
	return err
}

// Mapped reports the external port of each configured port, 0 when
// unmapped, in the order of Config.Ports.
func (m *Mapper) Mapped() []uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.mapped)
}
