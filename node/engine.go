package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/diag/system"
	"re6st-tui/node/bus"
	"re6st-tui/node/cache"
	"re6st-tui/node/config"
	"re6st-tui/node/identity"
	"re6st-tui/node/logs"
	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
	"re6st-tui/node/regclient"
	"re6st-tui/node/remotegw"
	"re6st-tui/node/state"
	"re6st-tui/node/tunnelmgr"
	"re6st-tui/node/upnp"
	"re6st-tui/routing/babel"
	"re6st-tui/tunnels"
)

// refreshInterval is the tunnel manager's round, as re6st's.
const refreshInterval = 5 * time.Second

// Options configure a Node.
type Options struct {
	Config *config.Node
	// ControlSocket is where `re6st-tui --attach` connects; "" means
	// <run dir>/control.sock.
	ControlSocket string
	// Sink receives the node's logs (and feeds the log panel); nil makes
	// one that writes <log dir>/re6stnet.log.
	Sink *logs.Sink
}

// Node is a re6st node: it runs until its context ends, and can be watched
// and commanded from other goroutines.
type Node struct {
	opts Options
	cfg  *config.Node
	sink *logs.Sink
	log  *slog.Logger
	bus  *bus.Bus

	// Set up by start, used by the loop goroutine only.
	id      *identity.Identity
	reg     *regclient.Client
	cache   *cache.Cache
	net     *netconf.Config
	proto   *peer.Protocol
	udp     *net.UDPConn
	speaker *babel.Speaker
	tun     *tunnels.Manager
	mgr     *tunnelmgr.Manager
	address map[int][]peer.Address // our advertised addresses, by family
	learnIP [2]bool                // learn our IPv4/IPv6 address from peers
	upnp    *upnp.Status           // the gateway's mappings, nil without UPnP
	// exportDefault: this gateway's host has a default route, so the
	// node exports the network's; hostDefault is what it last found.
	exportDefault bool
	hostDefault   hostDefault
	// hostRoutes hands a gateway each read of the kernel's IPv6 routes;
	// nil on other nodes.
	hostRoutes chan []system.Route
	// remoteGW routes tunnel remotes through --remote-gateway; remoteIPs
	// are the addresses each tunnel uses (by tap, or by "tap CN" for a
	// served peer).
	remoteGW  *remotegw.Manager
	remoteIPs map[string][]netip.Addr
	// country is our country per family (IPv4, IPv6) as the registry
	// sees our address, for same_country; countryAsked, the addresses
	// we asked about.
	country      [2]string
	countryAsked map[string]bool
	// ipv4 is the node's IPv4 address and subnet length inside ipv4Net,
	// the network's IPv4 prefix; both invalid without IPv4 payload.
	ipv4, ipv4Net netip.Prefix
	incoming      chan datagram
	cmds          chan func()
	refetch       time.Time // when to fetch the network config again (zero: never)
	// restartAt is when a config change makes the node start over, and
	// restarting says it is stopping to do so.
	restartAt  time.Time
	restarting bool
	// revokeAt is when tunnels and sessions with revoked peers go.
	revokeAt time.Time
	// A network config fetch is under way: its outcome arrives on
	// fetches and goes to fetchWaiters too.
	fetching     bool
	lastFetch    time.Time // when the last fetch started
	fetches      chan fetched
	fetchWaiters []chan<- error
	bootstraps   chan bootstrap // the registry's answers for the tunnel manager
	// fatal ends the loop: the node cannot go on.
	fatal       error
	crl         crlSet
	nextCheck   time.Time // next hourly staleness check
	staleOnce   bool      // the previous check found the registry unreachable
	dirty       bool      // Babel changed since the state was last built
	stopBabel   func()    // ends the speaker, once
	details     peerDetails
	babelIfaces map[string]bool
	tunnelProto map[string]string // client tap → protocol
	loopCtx     context.Context
	sys         doctor.System // set up at start: kernel routes and the doctor
	mtuTarget   netip.Addr    // the doctor's path MTU target, set at start
	upnpCheck   upnpSettings  // the doctor's UPnP settings, set at start
	checks      *checkup

	mu sync.Mutex
	// st is the state shown to the UI, guarded by mu.
	st state.State
}

type datagram struct {
	from netip.AddrPort
	data []byte
}

// New prepares a node; nothing runs before Run.
func New(opts Options) (*Node, error) {
	if opts.Config == nil {
		return nil, errors.New("node: no configuration")
	}
	n := &Node{opts: opts, cfg: opts.Config, sink: opts.Sink, bus: bus.New(0),
		incoming: make(chan datagram, 256), cmds: make(chan func(), 16), fetches: make(chan fetched), bootstraps: make(chan bootstrap), babelIfaces: map[string]bool{}, tunnelProto: map[string]string{},
		countryAsked: map[string]bool{}}
	if n.sink == nil {
		n.sink = logs.NewSink(nil, 10000)
		if err := n.sink.OpenFile(filepath.Join(n.cfg.LogDir, "re6stnet.log")); err != nil {
			return nil, err
		}
	}
	n.sink.Level.Set(logs.LevelFromVerbose(n.cfg.Verbose))
	prev := n.sink.OnRecord
	n.sink.OnRecord = func(r state.LogRecord) {
		if prev != nil {
			prev(r)
		}
		n.bus.Publish(state.Event{Kind: state.KindLog, Time: r.Time, Log: &r})
	}
	n.log = slog.New(n.sink.Handler())
	n.checks = newCheckup(n.newDoctor, n.setFindings, n.log.With("component", "doctor"))
	n.st.Status = state.Status{Phase: state.Bootstrapping, Since: time.Now()}
	return n, nil
}

// ErrRestart is returned by Run when the network configuration changed in
// a way that needs the node to start over (re6st re-executes itself).
var ErrRestart = errors.New("network configuration changed: restart needed")

// Run starts the node and runs it until ctx ends. Everything it set up is
// undone before it returns.
func (n *Node) Run(ctx context.Context) (err error) {
	var undo []func()
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		n.setStatus(state.Stopped, "")
		n.bus.Close()
	}()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := n.start(ctx, &undo); err != nil {
		n.log.Error("start failed", "err", err)
		return err
	}
	n.log.Info("node started", "prefix", identity.CN(n.id.Prefix), "address", n.id.Addr)
	return n.loop(ctx)
}

// start runs re6st's start-up sequence, registering undo steps.
func (n *Node) start(ctx context.Context, undo *[]func()) error {
	var err error
	if n.id, err = identity.Load(n.cfg.CA, n.cfg.Cert, n.cfg.Key, time.Now()); err != nil {
		return err
	}
	for _, d := range []string{n.cfg.StateDir, n.cfg.RunDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	*undo = append(*undo, func() { os.RemoveAll(n.cfg.RunDir) })
	if n.reg, err = regclient.New(n.cfg.Registry); err != nil {
		return err
	}
	n.reg.SetIdentity(n.id.CA, n.id.Key, n.id.Prefix)
	if n.cache, err = cache.Open(ctx, filepath.Join(n.cfg.StateDir, "cache.db"), n.id.Prefix); err != nil {
		return err
	}
	*undo = append(*undo, func() {
		n.cache.Minimize(context.Background(), n.clientCount())
		n.cache.Close()
	})
	var cached bool
	if n.net, cached, err = loadNetworkConfig(ctx, n.reg, n.cache, n.id, n.log); err != nil {
		return err
	}
	n.crl.set(n.net.CRL)
	if cached {
		// Ask the registry once running, without delaying the start: a
		// node that was down may have missed a change, such as its own
		// revocation, that no peer would tell it any more.
		n.refetch = time.Now()
	}
	if peer.ProtocolVersion < n.net.MinProtocol {
		return fmt.Errorf("the network requires protocol %d and this node speaks %d: upgrade re6st-tui", n.net.MinProtocol, peer.ProtocolVersion)
	}
	if err := n.renew(ctx); err != nil {
		return err
	}
	n.setIPv4()
	n.identityState()
	if err := n.startPeerProtocol(ctx, undo); err != nil {
		return err
	}
	if err := n.startNetwork(ctx, undo); err != nil {
		return err
	}
	if err := n.startKernelRoutes(ctx, undo); err != nil {
		return err
	}
	if err := n.startRouting(ctx, undo); err != nil {
		return err
	}
	if err := n.startRemoteGateways(undo); err != nil {
		return err
	}
	if err := n.startTunnels(ctx, undo); err != nil {
		return err
	}
	// Babel stops before the tunnels go, as re6st stops babeld first, so
	// that its retractions still reach the neighbours.
	*undo = append(*undo, n.stopBabel)
	if err := n.startChecks(ctx, undo); err != nil {
		return err
	}
	if err := n.startControl(ctx, undo); err != nil {
		return err
	}
	return n.startHooks(ctx, undo)
}

func (n *Node) clientCount() int {
	if n.cfg.ClientCount != nil {
		return *n.cfg.ClientCount
	}
	if n.net != nil {
		return int(n.net.ClientCount)
	}
	return 0
}

func (n *Node) maxClients() int {
	if n.cfg.MaxClients != nil {
		return *n.cfg.MaxClients
	}
	return int(n.net.MaxClients)
}

// hello is Babel's hello interval from the network config.
func (n *Node) hello() time.Duration { return time.Duration(n.net.Hello) * time.Second }

// timeout is re6st's 4 × hello.
func (n *Node) timeout() time.Duration { return 4 * n.hello() }

// Snapshot returns a copy of the node's state.
func (n *Node) Snapshot() state.State {
	n.mu.Lock()
	s := n.st.Clone()
	n.mu.Unlock()
	s.Logs = n.sink.Records()
	s.GeneratedAt = time.Now()
	return s
}

// Subscribe streams the node's events; see [bus.Bus.Subscribe].
func (n *Node) Subscribe(ctx context.Context) <-chan state.Event { return n.bus.Subscribe(ctx) }

// do runs f on the node's loop and waits for it.
func (n *Node) do(ctx context.Context, f func() error) error {
	res := make(chan error, 1)
	select {
	case n.cmds <- func() { res <- f() }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReopenLog reopens the log file after logrotate moved it (SIGUSR1).
func (n *Node) ReopenLog() {
	if err := n.sink.Reopen(); err != nil {
		n.log.Error("reopen log file", "err", err)
	}
}
