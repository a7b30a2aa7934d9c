package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Defaults of a [Server].
const (
	DefaultCommandTimeout = 30 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
)

// Server serves one engine to the clients of a control socket.
type Server struct {
	Engine Engine
	Log    *slog.Logger
	// CommandTimeout bounds each command the engine runs for a client.
	CommandTimeout time.Duration
	// WriteTimeout bounds one reply's write: a client that does not read
	// for that long is disconnected. Until then its subscription lags in
	// the engine, which never waits for it.
	WriteTimeout time.Duration
}

// ListenAndServe creates the socket at path (see [Listen]) and serves eng
// on it until ctx ends; the socket file is then removed.
func ListenAndServe(ctx context.Context, path string, eng Engine, log *slog.Logger) error {
	ln, err := Listen(path)
	if err != nil {
		return err
	}
	s := &Server{Engine: eng, Log: log}
	return s.Serve(ctx, ln)
}

// Serve accepts clients on ln until ctx ends, then closes ln and every
// client connection and returns once their goroutines have exited. It
// returns nil after ctx ends, or the accept error that stopped it.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return ServeConns(ctx, ln, s.serveConn)
}

// ServeConns accepts connections on ln until ctx ends and runs handle on
// each in a goroutine of its own; then it closes ln and returns once every
// handle has returned (handle must return when its ctx ends). It returns
// nil after ctx ends, or the accept error that stopped it.
func ServeConns(ctx context.Context, ln net.Listener, handle func(context.Context, net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("%s: accept: %w", ln.Addr(), err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle(ctx, c)
		}()
	}
}

func (s *Server) commandTimeout() time.Duration {
	if s.CommandTimeout > 0 {
		return s.CommandTimeout
	}
	return DefaultCommandTimeout
}

func (s *Server) writeTimeout() time.Duration {
	if s.WriteTimeout > 0 {
		return s.WriteTimeout
	}
	return DefaultWriteTimeout
}
