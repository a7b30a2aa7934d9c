// Command re6st-babel runs only the Babel speaker of re6st-tui on the given
// interfaces, originating the given prefixes. It exists for interop tests and
// debugging:
//
//	re6st-babel -id 02:00:00:00:00:00:00:0b -i tap0:tunnel -i eth0 \
//	    -x 2001:db8:b::/48 -x '::/0 from 2001:db8::/32' -control /run/b.sock \
//	    -state /var/lib/re6st-babel.state
//
// Connecting to the control socket returns the speaker's snapshot as JSON.
package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "re6st-babel:", err)
		os.Exit(1)
	}
}

func run() error {
	var ifaces, xroutes, accept list
	id := flag.String("id", "", "router-id (8 hex bytes); when empty, the state file's or a random one")
	state := flag.String("state", "", "file keeping the router-id and seqno across clean restarts (babeld's -S)")
	hello := flag.Duration("hello", 4*time.Second, "hello interval")
	sign := flag.String("sign", "", "MAC key to sign with: blake2s128:HEX or hmac-sha256:HEX")
	acceptBad := flag.Bool("accept-bad-signatures", false, "process packets with bad or missing MACs")
	control := flag.String("control", "", "unix socket that serves a JSON snapshot per connection")
	network := flag.String("network", "", "re6st network prefix (installs a legacy default as 'default from network')")
	prefSrc := flag.String("pref-src", "", "preferred source address of installed IPv6 routes")
	noKernel := flag.Bool("no-kernel", false, "do not install routes")
	debug := flag.Bool("debug", false, "debug logging")
	xfile := flag.String("xfile", "", "file of prefixes to originate, one '-x' value per line")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file until exit")
	flag.Var(&ifaces, "i", "interface NAME or NAME:tunnel (repeatable)")
	flag.Var(&xroutes, "x", "prefix to originate, 'P' or 'P from SRC' (repeatable)")
	flag.Var(&accept, "accept", "extra MAC key accepted on receipt (repeatable)")
	flag.Parse()

	if *xfile != "" {
		b, err := os.ReadFile(*xfile)
		if err != nil {
			return fmt.Errorf("-xfile: %w", err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				xroutes = append(xroutes, l)
			}
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := config(*id, *hello, xroutes, *network, *prefSrc)
	if err != nil {
		return err
	}
	cfg.StateFile = *state
	if cfg.Auth, err = auth(*sign, accept, *acceptBad); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var kern babel.Kernel = &kernel.Fake{}
	if !*noKernel {
		nk, err := kernel.Open()
		if err != nil {
			return err
		}
		defer nk.Close()
		if err := nk.Flush(); err != nil {
			log.Warn("remove stale routes", "err", err)
		}
		defer nk.Flush()
		cfg.Install.NoSubtrees = !nk.Subtrees()
		kern = nk
	}
	udp, err := babel.ListenUDP(0)
	if err != nil {
		return err
	}
	defer udp.Close()
	sp, err := babel.New(cfg, udp, kern, log)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- sp.Run(ctx, udp.Recv()) }()
	names := map[int]string{}
	for _, spec := range ifaces {
		ifc, err := iface(ctx, spec)
		if err != nil {
			return err
		}
		names[ifc.Index] = ifc.Name
		if err := sp.AddInterface(ifc); err != nil {
			return err
		}
		log.Info("babel interface", "iface", ifc.Name, "ll", ifc.LinkLocal, "kind", ifc.Kind)
	}
	err = kernel.WatchLinks(ctx, func(index int, name string, up bool) {
		if _, ok := names[index]; ok {
			_ = sp.SetInterfaceUp(names[index], up)
		}
	})
	if err != nil {
		return err
	}
	if *control != "" {
		if err := serve(ctx, *control, sp); err != nil {
			return err
		}
	}
	return <-done
}

func config(id string, hello time.Duration, xs list, network, prefSrc string) (babel.Config, error) {
	cfg := babel.Config{Hello: hello}
	if id != "" {
		r, err := wire.ParseRouterID(id)
		if err != nil {
			return cfg, err
		}
		cfg.RouterID = r
	}
	for _, x := range xs {
		dst, src, _ := strings.Cut(x, " from ")
		xr := babel.Xroute{}
		var err error
		if xr.Prefix, err = netip.ParsePrefix(strings.TrimSpace(dst)); err != nil {
			return cfg, fmt.Errorf("-x %q: %w", x, err)
		}
		if src != "" {
			if xr.Src, err = netip.ParsePrefix(strings.TrimSpace(src)); err != nil {
				return cfg, fmt.Errorf("-x %q: %w", x, err)
			}
		}
		cfg.Xroutes = append(cfg.Xroutes, xr)
	}
	if network != "" {
		p, err := netip.ParsePrefix(network)
		if err != nil {
			return cfg, fmt.Errorf("-network: %w", err)
		}
		cfg.Install.Network = p
	}
	if prefSrc != "" {
		a, err := netip.ParseAddr(prefSrc)
		if err != nil {
			return cfg, fmt.Errorf("-pref-src: %w", err)
		}
		cfg.Install.PrefSrc6 = a
	}
	return cfg, nil
}

func parseKey(id, spec string) (wire.Key, error) {
	typ, hexv, ok := strings.Cut(spec, ":")
	v, err := hex.DecodeString(hexv)
	if !ok || err != nil {
		return wire.Key{}, fmt.Errorf("key %q: want blake2s128:HEX or hmac-sha256:HEX", spec)
	}
	alg := wire.Blake2s128
	if typ == "hmac-sha256" {
		alg = wire.HMACSHA256
	} else if typ != "blake2s128" {
		return wire.Key{}, fmt.Errorf("key %q: unknown type %q, use blake2s128 or hmac-sha256", spec, typ)
	}
	return wire.NewKey(id, alg, v)
}

func auth(sign string, accept list, bad bool) (babel.Auth, error) {
	a := babel.Auth{AcceptBad: bad}
	if sign == "" {
		if len(accept) > 0 {
			return a, errors.New("-accept needs -sign")
		}
		return a, nil
	}
	k, err := parseKey("sign", sign)
	if err != nil {
		return a, err
	}
	a.Sign = &k
	for i, s := range accept {
		k, err := parseKey(fmt.Sprintf("accept%d", i), s)
		if err != nil {
			return a, err
		}
		a.Accept = append(a.Accept, k)
	}
	return a, nil
}

func iface(ctx context.Context, spec string) (babel.Interface, error) {
	name, kind, _ := strings.Cut(spec, ":")
	l, err := kernel.LookupLink(ctx, name, 10*time.Second)
	if err != nil {
		return babel.Interface{}, err
	}
	ifc := babel.Interface{Name: name, Index: l.Index, MTU: l.MTU, LinkLocal: l.LinkLocal}
	switch kind {
	case "", "wired":
	case "tunnel":
		ifc.Kind = babel.Tunnel
	default:
		return ifc, fmt.Errorf("-i %s: unknown type %q, use wired or tunnel", spec, kind)
	}
	return ifc, nil
}

func serve(ctx context.Context, path string, sp *babel.Speaker) error {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			snap, err := sp.Snapshot()
			if err == nil {
				_ = json.NewEncoder(c).Encode(snap)
			}
			c.Close()
		}
	}()
	return nil
}
