// Command re6st-registry runs a re6st registry: it issues certificates and
// serves the network configuration, wire-compatible with re6st's registry
// and its registry.db. Options are re6st-registry's, with @file option files.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"re6st-tui/node/registry"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "re6st-registry:", err)
		os.Exit(1)
	}
}

func logger(o *registry.Options) (*slog.Logger, io.Closer, error) {
	level := map[int]slog.Level{0: slog.LevelError + 4, 1: slog.LevelWarn, 2: slog.LevelInfo}[o.Verbose]
	if o.Verbose >= 3 {
		level = slog.LevelDebug
	}
	var w io.Writer = os.Stderr
	var c io.Closer = io.NopCloser(nil)
	if o.LogFile != "" && o.LogFile != "-" {
		if err := os.MkdirAll(filepath.Dir(o.LogFile), 0o755); err != nil {
			return nil, nil, fmt.Errorf("log directory: %w (use -l to log elsewhere)", err)
		}
		f, err := openLogFile(o.LogFile)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file: %w (use -l to log elsewhere)", err)
		}
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				if err := f.Reopen(); err != nil {
					fmt.Fprintln(os.Stderr, "re6st-registry: reopen log:", err)
				}
			}
		}()
		w, c = f, f
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), c, nil
}

func run(args []string) error {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprint(os.Stdout, usage)
			return nil
		}
	}
	o, err := registry.ParseOptions(args)
	if err != nil {
		return err
	}
	if o.GeoIP != nil {
		defer o.GeoIP.Close()
	}
	log, closer, err := logger(o)
	if err != nil {
		return err
	}
	defer closer.Close()
	o.Log = log
	if dir := filepath.Dir(o.DB); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("database directory: %w", err)
		}
	}
	if nodeChan, err := registry.NewUDPNode(326); err != nil {
		log.Warn("running without the local node channel", "err", err)
	} else {
		defer nodeChan.Close()
		o.Node = nodeChan
	}
	reg, err := registry.Open(o.Config)
	if err != nil {
		return err
	}
	defer reg.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: reg, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 3)
	listeners := 0
	for _, l := range []struct{ network, addr string }{{"tcp4", o.Bind4}, {"tcp6", o.Bind6}} {
		if l.addr == "" {
			continue
		}
		ln, err := listen(ctx, l.network, net.JoinHostPort(l.addr, strconv.Itoa(o.Port)))
		if err != nil {
			return err
		}
		listeners++
		log.Info("listening", "addr", ln.Addr().String())
		go func() { errc <- srv.Serve(ln) }()
	}
	if listeners == 0 {
		return errors.New("both -4 and -6 are empty: nothing to listen on")
	}
	go func() { errc <- reg.Run(ctx) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

// listen opens one listener; the IPv6 one is IPv6-only, as re6st does, so
// both families can share the port.
func listen(ctx context.Context, network, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
			if network == "tcp6" && serr == nil {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (use --port, -4 or -6)", addr, err)
	}
	return ln, nil
}
