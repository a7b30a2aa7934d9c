package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"re6st-tui/node/identity"
	"re6st-tui/node/netlab"
)

// Network is the demo's network of namespaces.
const Network = "2001:db8:42::/48"

// Upstream is the underlay router the hosts' own default routes point to
// with Config.Conflict; no host answers there (the demo has no Internet).
const Upstream = "2001:db8:ff00::1"

// Config says what to build.
type Config struct {
	Nodes int // hosts h1..hN, each running a node; the registry runs in h1
	// Bin finds the binaries re6st-registry, re6st-conf and re6stnet.
	Bin func(name string) (string, error)
	// Hello is the network's Babel hello interval (re6st's default is 15 s;
	// the demo uses 4 s, as re6st's own tests, to form quickly).
	Hello time.Duration
	// ClientCount is the network's client_count; 0 means half the nodes.
	ClientCount int
	// TunnelRefresh is the network's tunnel_refresh, how often a node
	// rotates one of its tunnels out; 0 leaves the registry's default.
	TunnelRefresh time.Duration
	// Gateway makes h1's node a gateway: it exports its host's default
	// route to the network (re6stnet --gateway).
	Gateway bool
	// Conflict sets up the classic default-route conflict: h1's node is a
	// gateway, and every host has its own default route on the underlay
	// (via Upstream), which takes all traffic not from the re6st network
	// on the hosts that also get re6st's `default from <network>`.
	Conflict bool
	// Extra hosts join the lab without running a node, e.g. to play a
	// server on the Internet.
	Extra int
	// RegistryOptions are more lines of the registry's option file, as
	// "same-country FR".
	RegistryOptions []string
	// BehindNAT nodes run on l1..lN, on a LAN behind the lab's router gw,
	// which masquerades them and maps ports with miniupnpd: they announce
	// their servers with --ip upnp.
	BehindNAT int
	// Args adds options to the command line of the node on a host, by
	// host name ("h2", "l1").
	Args map[string][]string
	// IPv4 makes the network carry IPv4: the registry's --ipv4, as
	// "NETWORK/N SUBLEN" (e.g. "198.19.128.0/17 8").
	IPv4 string
	Log  *slog.Logger
}

// gateway reports whether h1's node is a gateway.
func (c Config) gateway() bool { return c.Gateway || c.Conflict }

// Demo is a running demo network.
type Demo struct {
	Lab      *netlab.Lab
	Registry string // its URL
	Nodes    []*Node
	dir      string
	regProc  *netlab.Process
	regConf  []string // the registry's options, one a line
	regBin   string
	bin      func(string) (string, error)
	gateway  bool
	log      *slog.Logger
	args     map[string][]string
}

// Node is one node of the demo.
type Node struct {
	Host *netlab.Host
	Dir  string
	ID   *identity.Identity
	Proc *netlab.Process
}

// ControlSocket is where the node serves `re6st-tui --attach`.
func (n *Node) ControlSocket() string { return filepath.Join(n.Dir, "run", "control.sock") }

// LogFile is the node's log.
func (n *Node) LogFile() string { return filepath.Join(n.Dir, "log", "re6stnet.log") }

// Start builds the lab, starts the registry, enrolls every node and starts
// it. On error, everything made is removed.
func Start(ctx context.Context, cfg Config) (_ *Demo, err error) {
	if cfg.Nodes < 1 {
		return nil, errors.New("demo: at least one node")
	}
	if cfg.Hello == 0 {
		cfg.Hello = 4 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ClientCount == 0 {
		cfg.ClientCount = max(1, (cfg.Nodes+1)/2)
	}
	bins := map[string]string{}
	for _, name := range []string{"re6st-registry", "re6st-conf", "re6stnet"} {
		if bins[name], err = cfg.Bin(name); err != nil {
			return nil, err
		}
	}
	nat := cfg.BehindNAT > 0
	lab, err := netlab.Build(ctx, netlab.Config{Hosts: cfg.Nodes + cfg.Extra, LANHosts: cfg.BehindNAT, NAT: nat, UPnP: nat}, cfg.Log)
	if err != nil {
		return nil, err
	}
	// Named after the lab: if this process dies, the next lab's sweep
	// removes the directory with the namespaces.
	dir, err := lab.MkdirTemp("demo")
	if err != nil {
		lab.Close()
		return nil, err
	}
	d := &Demo{Lab: lab, dir: dir, bin: cfg.Bin, gateway: cfg.gateway(), log: cfg.Log, args: cfg.Args}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	if cfg.Conflict {
		if err := d.underlayDefaults(ctx, lab.Hosts()[:cfg.Nodes]); err != nil {
			return nil, err
		}
	}
	began := time.Now()
	if err := d.startRegistry(ctx, cfg, bins["re6st-registry"]); err != nil {
		return nil, err
	}
	// The registry's first certificate makes its own node: h1 enrolls
	// first, the others together.
	hosts := lab.Hosts()[:cfg.Nodes]
	for i := 1; i <= cfg.BehindNAT; i++ {
		hosts = append(hosts, lab.Host(fmt.Sprintf("l%d", i)))
	}
	d.Nodes = make([]*Node, len(hosts))
	join := func(i int) error {
		n, err := d.enroll(ctx, hosts[i], bins["re6st-conf"])
		if err != nil {
			return err
		}
		d.Nodes[i] = n
		return d.startNode(n, bins["re6stnet"])
	}
	d.log.Debug("registry started", "after", time.Since(began).Round(time.Millisecond))
	if err := join(0); err != nil {
		return nil, err
	}
	var g errgroup.Group
	for i := 1; i < len(hosts); i++ {
		g.Go(func() error { return join(i) })
	}
	d.log.Debug("the registry's own node enrolled and started", "after", time.Since(began).Round(time.Millisecond))
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return d, nil
}

// underlayDefaults gives each host a static default route on its uplink
// ("proto static": a gateway exports no "proto boot" route, as babeld).
func (d *Demo) underlayDefaults(ctx context.Context, hosts []*netlab.Host) error {
	for _, h := range hosts {
		if out, err := h.Command(ctx, "ip", "-6", "route", "add", "default", "via", Upstream, "dev", h.Iface, "proto", "static").CombinedOutput(); err != nil {
			return fmt.Errorf("%s: default route via %s: %w: %s", h.Name, Upstream, err, out)
		}
	}
	return nil
}

func (d *Demo) write(name string, content []byte) (string, error) {
	p := filepath.Join(d.dir, name)
	return p, os.WriteFile(p, content, 0o600)
}

func (d *Demo) startRegistry(ctx context.Context, cfg Config, bin string) error {
	certPEM, keyPEM, err := newCA(netip.MustParsePrefix(Network))
	if err != nil {
		return err
	}
	caPath, err := d.write("ca.crt", certPEM)
	if err != nil {
		return err
	}
	keyPath, err := d.write("ca.key", keyPEM)
	if err != nil {
		return err
	}
	dh := filepath.Join(d.dir, "dh.pem")
	// DSA-style parameters take a second to make, where safe primes take
	// minutes; OpenVPN accepts both.
	if out, err := exec.CommandContext(ctx, "openssl", "dhparam", "-dsaparam", "-out", dh, "2048").CombinedOutput(); err != nil {
		return fmt.Errorf("DH parameters: %w: %s (install openssl)", err, out)
	}
	lines := []string{
		"port 80",
		"db " + filepath.Join(d.dir, "registry.db"),
		"ca " + caPath,
		"key " + keyPath,
		"dh " + dh,
		"mailhost " + filepath.Join(d.dir, "mbox"),
		"anonymous-prefix-length 16",
		fmt.Sprintf("hello %d", int(cfg.Hello.Seconds())),
		fmt.Sprintf("client-count %d", cfg.ClientCount),
		"logfile " + filepath.Join(d.dir, "registry.log"),
		// The registry asks the network through the node beside it.
		"run " + filepath.Join(d.dir, "h1", "run"),
	}
	if cfg.IPv4 != "" {
		lines = append(lines, "ipv4 "+cfg.IPv4)
	}
	if cfg.TunnelRefresh > 0 {
		lines = append(lines, fmt.Sprintf("tunnel-refresh %d", int(cfg.TunnelRefresh.Seconds())))
	}
	lines = append(lines, cfg.RegistryOptions...)
	d.regConf, d.regBin = lines, bin
	d.Registry = "http://" + d.Lab.Host("h1").IPv4.String() + "/"
	return d.runRegistry()
}

// runRegistry starts the registry in h1 with the options of d.regConf.
func (d *Demo) runRegistry() error {
	conf, err := d.write("re6st-registry.conf", []byte(strings.Join(d.regConf, "\n")+"\n"))
	if err != nil {
		return err
	}
	d.regProc, err = d.Lab.Host("h1").Start(d.regBin, "@"+conf)
	return err
}

// RestartRegistry stops the registry and starts it again with more
// options, as "tunnel-refresh 20" (a later line wins over an earlier):
// a change of the network config makes it bump the network version.
func (d *Demo) RestartRegistry(options ...string) error {
	if err := d.regProc.Stop(); err != nil {
		d.log.Debug("registry stop", "err", err)
	}
	d.regConf = append(d.regConf, options...)
	return d.runRegistry()
}

// enroll gets a certificate for h with re6st-conf, retrying while the
// registry starts.
func (d *Demo) enroll(ctx context.Context, h *netlab.Host, bin string) (*Node, error) {
	dir := filepath.Join(d.dir, h.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	began, tries := time.Now(), 0
	err := netlab.Poll(ctx, 30*time.Second, h.Name+" enrollment", func() error {
		select {
		case <-d.regProc.Done():
			return fmt.Errorf("the registry exited: %v: %s", d.regProc.Err(), d.regProc.Output())
		default:
		}
		tries++
		out, err := h.Command(ctx, bin, "--registry", d.Registry, "-d", dir, "--anonymous").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	d.log.Debug("enrolled", "host", h.Name, "took", time.Since(began).Round(time.Millisecond), "tries", tries)
	if err != nil {
		return nil, err
	}
	id, err := identity.Load(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key"), time.Now())
	if err != nil {
		return nil, err
	}
	return &Node{Host: h, Dir: dir, ID: id}, nil
}

func (d *Demo) startNode(n *Node, bin string) error {
	p, err := n.Host.Start(bin, d.nodeArgs(n)...)
	n.Proc = p
	return err
}

// nodeArgs is the command line of n's re6stnet.
func (d *Demo) nodeArgs(n *Node) []string {
	args := []string{"--registry", d.Registry,
		"--ca", filepath.Join(n.Dir, "ca.crt"), "--cert", filepath.Join(n.Dir, "cert.crt"), "--key", filepath.Join(n.Dir, "cert.key"),
		"-l", filepath.Join(n.Dir, "log"), "-r", filepath.Join(n.Dir, "run"), "-s", filepath.Join(n.Dir, "state"),
		"-v", "3"}
	if strings.HasPrefix(n.Host.Name, "l") {
		args = append(args, "--ip", "upnp")
	} else {
		args = append(args, "--ip", n.Host.IPv4.String())
	}
	if d.gateway && n.Host.Name == "h1" {
		args = append(args, "--gateway")
	}
	return append(args, d.args[n.Host.Name]...)
}

// WaitReachable waits until every node pings every other over the
// overlay, from its re6st address, and returns how long that took from the
// call. All pairs are probed at once, round after round: first until each
// pair has answered once, then until one round where every pair answers.
func (d *Demo) WaitReachable(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	return d.WaitReachableAmong(ctx, d.Nodes, timeout)
}

// WaitReachableAmong is WaitReachable for some of the nodes only.
func (d *Demo) WaitReachableAmong(ctx context.Context, nodes []*Node, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	// A node's address appears when its node has started: the probers
	// are opened by the rounds, as soon as they can bind.
	probers := make([]*netlab.Prober, len(nodes))
	defer func() {
		for _, p := range probers {
			if p != nil {
				p.Close()
			}
		}
	}()
	everyPair := func() [][]netip.Addr {
		dsts := make([][]netip.Addr, len(nodes))
		for i := range nodes {
			for j, to := range nodes {
				if i != j {
					dsts[i] = append(dsts[i], to.ID.Addr)
				}
			}
		}
		return dsts
	}
	pending, confirming := everyPair(), false
	for {
		missing := probeRound(ctx, nodes, probers, pending)
		n := 0
		for _, m := range missing {
			n += len(m)
		}
		d.log.Debug("probe round", "after", time.Since(start).Round(time.Millisecond), "unanswered", n, "confirming", confirming, "e.g.", pairs(nodes, missing, 3))
		switch {
		case n == 0 && confirming:
			return time.Since(start), nil
		case n == 0:
			d.log.Info("every pair answered once", "after", time.Since(start).Round(time.Millisecond))
			pending, confirming = everyPair(), true
		case ctx.Err() != nil:
			return time.Since(start), fmt.Errorf("after %v, %d pairs do not answer over the overlay, e.g. %s",
				time.Since(start).Round(time.Millisecond), n, pairs(nodes, missing, 5))
		case confirming:
			pending = everyPair()
		default:
			pending = missing
		}
	}
}

// probeWait is how long a round waits for answers.
const probeWait = 500 * time.Millisecond

// probeRound probes dsts[i] from nodes[i], all nodes at once, and returns
// the destinations that did not answer, by node.
func probeRound(ctx context.Context, nodes []*Node, probers []*netlab.Prober, dsts [][]netip.Addr) [][]netip.Addr {
	missing := make([][]netip.Addr, len(dsts))
	var wg sync.WaitGroup
	for i := range probers {
		if len(dsts[i]) == 0 {
			continue
		}
		wg.Go(func() {
			if probers[i] == nil {
				p, err := nodes[i].Host.Prober(nodes[i].ID.Addr)
				if err != nil {
					missing[i] = dsts[i]
					time.Sleep(probeWait)
					return
				}
				probers[i] = p
			}
			got, _ := probers[i].Round(ctx, dsts[i], probeWait)
			for _, dst := range dsts[i] {
				if _, ok := got[dst]; !ok {
					missing[i] = append(missing[i], dst)
				}
			}
		})
	}
	wg.Wait()
	return missing
}

// pairs names up to limit of the pairs in missing, as "h1 → h2".
func pairs(nodes []*Node, missing [][]netip.Addr, limit int) string {
	var out []string
	for i, dsts := range missing {
		for _, dst := range dsts {
			if len(out) == limit {
				return strings.Join(out, ", ") + ", …"
			}
			to := dst.String()
			for _, n := range nodes {
				if n.ID.Addr == dst {
					to = n.Host.Name
				}
			}
			out = append(out, nodes[i].Host.Name+" → "+to)
		}
	}
	return strings.Join(out, ", ")
}

// Close stops every process and removes the lab and the demo's files.
func (d *Demo) Close() error {
	err := d.Lab.Close()
	os.RemoveAll(d.dir)
	return err
}

// StopRegistry stops the registry, as when its host goes down.
func (d *Demo) StopRegistry() error { return d.regProc.Stop() }

// Restart stops a node and starts it again with the same files.
func (d *Demo) Restart(n *Node) error {
	if err := n.Proc.Stop(); err != nil {
		return err
	}
	return d.Start(n)
}

// Start starts a node that was stopped or killed, with the same files.
func (d *Demo) Start(n *Node) error {
	bin, err := d.bin("re6stnet")
	if err != nil {
		return err
	}
	return d.startNode(n, bin)
}

// WaitControl waits until node n serves its control socket, or fails with
// the node's output when it exited.
func (d *Demo) WaitControl(ctx context.Context, n *Node, timeout time.Duration) error {
	return netlab.Poll(ctx, timeout, n.Host.Name+"'s control socket", func() error {
		select {
		case <-n.Proc.Done():
			return fmt.Errorf("re6stnet on %s exited: %v\n%s", n.Host.Name, n.Proc.Err(), n.Proc.Output())
		default:
		}
		c, err := net.Dial("unix", n.ControlSocket())
		if err != nil {
			return err
		}
		return c.Close()
	})
}
