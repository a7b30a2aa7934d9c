package tunnels

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"re6st-tui/tunnels/openvpn"
	"re6st-tui/tunnels/tap"
)

// stopGrace is how long a stopping openvpn gets before SIGKILL.
const stopGrace = 3 * time.Second

// ErrStopped is returned by calls made after Stop.
var ErrStopped = errors.New("tunnel manager stopped")

// Manager owns the node's tap devices and openvpn processes.
type Manager struct {
	cfg    Config
	pool   *tap.Pool
	events chan Event
	ctx    context.Context // ends at Stop: unblocks event sends
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	stopped bool
	servers map[Proto]*server
	taps    map[string]bool    // server taps made, removed at Stop
	clients map[string]*client // by tap name
	// snap describes client tunnels (by tap) and served peers (by
	// "<tap>/<OpenVPN client id>") for Tunnels.
	snap map[string]Tunnel
}

// New checks cfg (binary, certificate files) and returns a Manager that
// has not started anything yet.
func New(cfg Config) (*Manager, error) {
	cfg.setDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg:     cfg,
		pool:    tap.NewPool(cfg.Taps, cfg.ClientCount),
		events:  make(chan Event, 256),
		ctx:     ctx,
		cancel:  cancel,
		servers: map[Proto]*server{},
		taps:    map[string]bool{},
		clients: map[string]*client{},
		snap:    map[string]Tunnel{},
	}, nil
}

// Events delivers what happens to tunnels; it is closed once Stop has
// returned. Read it steadily: Stats events are dropped when nobody reads,
// others wait for the reader.
func (m *Manager) Events() <-chan Event { return m.events }

// Start removes what a previous run left: openvpn processes that wrote
// their pid in RunDir, and re6stnet* tap devices.
func (m *Manager) Start() error {
	var errs []error
	killed, err := openvpn.CleanStale(m.cfg.RunDir, m.cfg.Log)
	errs = append(errs, err)
	if len(killed) > 0 {
		errs = append(errs, openvpn.WaitGone(killed, 5*time.Second))
	}
	names, err := m.cfg.Taps.Stale()
	errs = append(errs, err)
	for _, n := range names {
		m.cfg.Log.Info("stale tap removed", "iface", n)
		errs = append(errs, m.cfg.Taps.Remove(n))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up a previous run: %w", err)
	}
	return nil
}

// Tunnels returns the client tunnels and served peers, sorted by tap then
// peer. The slice is the caller's.
func (m *Manager) Tunnels() []Tunnel {
	m.mu.Lock()
	keys := make([]string, 0, len(m.snap))
	for k := range m.snap {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Tunnel, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.snap[k])
	}
	m.mu.Unlock()
	return out
}

// update changes (or adds) the snapshot entry key.
func (m *Manager) update(key string, fn func(*Tunnel)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.snap[key]
	fn(&t)
	m.snap[key] = t
}

func (m *Manager) drop(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.snap, key)
}

// emit hands an event to the reader. Stats are dropped rather than wait;
// other events wait for the reader or for Stop.
func (m *Manager) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if ev.Kind == Stats {
		select {
		case m.events <- ev:
		default:
		}
		return
	}
	select {
	case m.events <- ev:
	case <-m.ctx.Done():
	}
}

// spec is the openvpn.Spec shared by servers and clients.
func (m *Manager) spec(name string, args []string, clientAuth bool) openvpn.Spec {
	return openvpn.Spec{
		Name: name, Path: m.cfg.OpenVPN, Args: args, Dir: m.cfg.RunDir,
		ClientAuth: clientAuth, ByteCount: m.cfg.ByteCount,
		Command: m.cfg.Command, Log: m.cfg.Log, LogFile: m.logFile(name),
	}
}

// logFile is where the openvpn of tunnel name logs, "" for our pipe.
func (m *Manager) logFile(name string) string {
	if m.cfg.LogDir == "" {
		return ""
	}
	return filepath.Join(m.cfg.LogDir, name+".log")
}

// Stop ends every openvpn process, waits for them and removes every tap
// device the Manager made. It is idempotent.
func (m *Manager) Stop() error {
	m.mu.Lock()
	if m.stopped {
		m.mu.Unlock()
		return nil
	}
	m.stopped = true
	var procs []*openvpn.Process
	for _, s := range m.servers {
		if s != nil { // nil: still starting, its Serve cleans up
			procs = append(procs, s.proc)
		}
	}
	for _, c := range m.clients {
		c.close()
		if p := c.current(); p != nil {
			procs = append(procs, p)
		}
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Stop(stopGrace)
		}()
	}
	wg.Wait()
	m.cancel()
	m.wg.Wait()
	close(m.events) // every sender has returned
	var errs []error
	m.mu.Lock()
	for name := range m.taps {
		errs = append(errs, m.cfg.Taps.Remove(name))
	}
	m.mu.Unlock()
	errs = append(errs, m.pool.Close())
	return errors.Join(errs...)
}
