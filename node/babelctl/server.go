package babelctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/routing/babel"
)

// Speaker is what the socket serves: *babel.Speaker.
type Speaker interface {
	Snapshot() (babel.Snapshot, error)
	SetCostMultiplier(ifname string, addr netip.Addr, m uint16) error
}

// writeTimeout bounds the wait for a client that stopped reading.
const writeTimeout = 10 * time.Second

// Server answers clients of the control socket.
type Server struct {
	Speaker Speaker
	Log     *slog.Logger
}

// Serve accepts clients on ln until ctx ends, then closes ln and every
// connection and returns once their goroutines have exited.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return control.ServeConns(ctx, ln, func(ctx context.Context, c net.Conn) {
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		defer c.Close()
		if err := s.serveConn(c); err != nil && !errors.Is(err, io.EOF) && ctx.Err() == nil {
			s.Log.Warn("babeld control socket: client dropped", "err", err)
		}
	})
}

// serveConn answers one client's requests in order until it leaves.
func (s *Server) serveConn(c net.Conn) error {
	r := bufio.NewReader(c)
	first, err := r.ReadByte()
	if err != nil {
		return err
	}
	if first != hello {
		return fmt.Errorf("%w: first byte %d, want %d", ErrProtocol, first, hello)
	}
	var out []byte
	for {
		req, err := ReadRequest(r)
		if err != nil {
			return err
		}
		out, err = s.answer(out[:0], req)
		if err != nil {
			return err
		}
		c.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := c.Write(out); err != nil {
			return err
		}
	}
}

func (s *Server) answer(out []byte, req Request) ([]byte, error) {
	snap, err := s.Speaker.Snapshot()
	if err != nil {
		return nil, err
	}
	switch req.Type {
	case TypeDump:
		body := AppendDump(nil, snap, req.Flags)
		return AppendMessage(out, TypeDump, body), nil
	default: // TypeSetCostMultiplier
		if ifname := ifaceName(snap, req.Ifindex); ifname == "" {
			s.Log.Warn("babeld control socket: cost multiplier for an unknown interface", "ifindex", req.Ifindex, "neighbour", req.Addr)
		} else if err := s.Speaker.SetCostMultiplier(ifname, req.Addr, req.Multiplier); err != nil {
			return nil, err
		} else {
			s.Log.Debug("babeld control socket: cost multiplier", "iface", ifname, "neighbour", req.Addr, "multiplier", req.Multiplier)
		}
		return AppendMessage(out, TypeSetCostMultiplier, []byte{0}), nil // flags, unused
	}
}

func ifaceName(snap babel.Snapshot, index uint32) string {
	for _, ifc := range snap.Interfaces {
		if uint32(ifc.Index) == index {
			return ifc.Name
		}
	}
	return ""
}
