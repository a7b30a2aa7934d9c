package netlab

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"sync"
)

// Config describes the network a lab builds.
type Config struct {
	// Hosts is the number of hosts h1..hN on the "internet" segment.
	Hosts int
	// LANHosts is the number of hosts l1..lN on a second segment behind a
	// router namespace "gw". Zero builds no router.
	LANHosts int
	// NAT makes gw masquerade the LAN behind its WAN address; without it
	// internet hosts route to the LAN through gw.
	NAT bool
	// UPnP makes gw, with NAT, an Internet gateway device: miniupnpd
	// maps ports of its WAN address to LAN hosts that ask (see
	// [UPnPTable]).
	UPnP bool
}

// Addressing of the lab: documentation ranges only.
var (
	wanV4 = netip.MustParsePrefix("198.18.0.0/24")
	lanV4 = netip.MustParsePrefix("198.19.0.0/24")
	wanV6 = netip.MustParsePrefix("2001:db8:ff00::/64")
	lanV6 = netip.MustParsePrefix("2001:db8:ff01::/64")
)

const maxHosts = 200

// Lab is a running network of namespaces. Close removes all of it.
type Lab struct {
	id     string
	log    *slog.Logger
	lock   *lock
	inet   *Host // holds the internet bridge
	lan    *Host // holds the LAN bridge, when there is a LAN
	hosts  []*Host
	byName map[string]*Host

	dir     string   // files of the lab's daemons, if any
	closers []func() // what the lab serves itself (STUN), closed first

	mu sync.Mutex
	// procs guarded by mu: processes started in the lab, stopped at Close.
	procs  []*Process
	closed bool
}

// ID returns the lab's unique id, part of every namespace name.
func (l *Lab) ID() string { return l.id }

// MkdirTemp creates a directory for the lab's files, named after name: the
// sweep of a lab whose owner died removes it with the lab.
func (l *Lab) MkdirTemp(name string) (string, error) {
	return os.MkdirTemp("", tempPrefix+l.id+"-"+name+"-")
}

// Host returns the host of that name ("h1", "l1", "gw"). It panics on an
// unknown name: that is a bug in the test.
func (l *Lab) Host(name string) *Host {
	h, ok := l.byName[name]
	if !ok {
		panic(fmt.Sprintf("netlab: no host %q in this lab", name))
	}
	return h
}

// Hosts returns the end hosts: h1..hN then l1..lN (not the router).
func (l *Lab) Hosts() []*Host { return append([]*Host(nil), l.hosts...) }

// Namespaces returns the names of every namespace of the lab.
func (l *Lab) Namespaces() []string { return labNamespaces(l.id) }

// Build sweeps leftovers of dead labs, then builds a new lab. On error
// everything it made is removed again.
func Build(ctx context.Context, cfg Config, log *slog.Logger) (*Lab, error) {
	if cfg.Hosts < 0 || cfg.LANHosts < 0 || cfg.Hosts+cfg.LANHosts > maxHosts {
		return nil, fmt.Errorf("lab of %d+%d hosts: between 0 and %d hosts are supported", cfg.Hosts, cfg.LANHosts, maxHosts)
	}
	if cfg.UPnP && (!cfg.NAT || cfg.LANHosts == 0) {
		return nil, errors.New("lab with UPnP: the router maps ports only with NAT and a LAN (set NAT and LANHosts)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if swept, err := Sweep(); err != nil {
		log.Warn("sweep of old labs incomplete", "err", err)
	} else if len(swept) > 0 {
		log.Info("removed leftovers of dead labs", "labs", swept)
	}
	l := &Lab{id: newID(), log: log, byName: map[string]*Host{}}
	var err error
	if l.lock, err = takeLock(l.id); err != nil {
		return nil, err
	}
	if err := l.build(ctx, cfg); err != nil {
		return nil, errors.Join(fmt.Errorf("build lab: %w", err), l.Close())
	}
	return l, nil
}

func newID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (l *Lab) build(ctx context.Context, cfg Config) error {
	var err error
	if l.inet, err = l.newHost("inet"); err != nil {
		return err
	}
	if err := l.inet.addBridge("br0"); err != nil {
		return err
	}
	for i := 1; i <= cfg.Hosts; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := l.newHost(fmt.Sprintf("h%d", i))
		if err != nil {
			return err
		}
		if err := l.plug(h, l.inet, "eth0", addrIn(wanV4, 10+i), addrIn(wanV6, 10+i)); err != nil {
			return err
		}
		l.hosts = append(l.hosts, h)
	}
	if cfg.LANHosts == 0 {
		return nil
	}
	return l.buildLAN(ctx, cfg)
}

// buildLAN adds the router gw and the LAN segment behind it.
func (l *Lab) buildLAN(ctx context.Context, cfg Config) error {
	gw, err := l.newHost("gw")
	if err != nil {
		return err
	}
	if err := l.plug(gw, l.inet, "eth0", addrIn(wanV4, 1), addrIn(wanV6, 1)); err != nil {
		return err
	}
	if l.lan, err = l.newHost("lan"); err != nil {
		return err
	}
	if err := l.lan.addBridge("br0"); err != nil {
		return err
	}
	if err := l.plug(gw, l.lan, "eth1", addrIn(lanV4, 1), addrIn(lanV6, 1)); err != nil {
		return err
	}
	for i := 1; i <= cfg.LANHosts; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := l.newHost(fmt.Sprintf("l%d", i))
		if err != nil {
			return err
		}
		if err := l.plug(h, l.lan, "eth0", addrIn(lanV4, 10+i), addrIn(lanV6, 10+i)); err != nil {
			return err
		}
		if err := h.addDefaultRoutes(addrIn(lanV4, 1), addrIn(lanV6, 1)); err != nil {
			return err
		}
		l.hosts = append(l.hosts, h)
	}
	if cfg.NAT {
		if err := gw.masquerade("eth0"); err != nil {
			return err
		}
		if cfg.UPnP {
			return l.startUPnP(ctx)
		}
		return nil
	}
	for _, h := range l.hosts {
		if lanV4.Contains(h.IPv4) {
			continue
		}
		if err := h.addRoutes(lanV4, addrIn(wanV4, 1), lanV6, addrIn(wanV6, 1)); err != nil {
			return err
		}
	}
	return nil
}

// addrIn returns host n of an IPv4 /24 or IPv6 /64. IPv6 host ids read
// like the IPv4 ones: host 11 is 198.18.0.11 and 2001:db8:ff00::11.
func addrIn(p netip.Prefix, n int) netip.Addr {
	b := p.Addr().AsSlice()
	if p.Addr().Is4() {
		b[3] = byte(n)
	} else {
		id, _ := strconv.ParseUint(strconv.Itoa(n), 16, 16)
		b[14], b[15] = byte(id>>8), byte(id)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Close stops the lab's processes and removes its namespaces. It is
// idempotent and safe after a failed Build.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := l.procs
	l.mu.Unlock()
	var errs []error
	for _, c := range l.closers {
		c()
	}
	for _, p := range procs {
		p.kill()
	}
	for _, h := range l.byName {
		h.close()
	}
	if err := removeLabNamespaces(l.id); err != nil {
		errs = append(errs, err)
	}
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
	if l.lock != nil {
		l.lock.release()
	}
	return errors.Join(errs...)
}
