package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxBadLines is how many malformed lines a client may send before it is
// disconnected: a few are a bug to report, many are something else
// speaking on the socket.
const maxBadLines = 16

// conn is one client's connection.
type conn struct {
	s   *Server
	c   net.Conn
	log *slog.Logger
	ctx context.Context
	wg  sync.WaitGroup

	wmu sync.Mutex // serialises writes
	enc *json.Encoder

	mu      sync.Mutex
	running map[uint64]context.CancelFunc // guarded by mu
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	cc := &conn{s: s, c: c, ctx: ctx, enc: json.NewEncoder(c),
		log: s.Log.With("source", "control"), running: map[uint64]context.CancelFunc{}}
	defer func() {
		cancel()
		c.Close()
		cc.wg.Wait()
	}()
	// Closing the connection is what unblocks the reader at server stop.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	cc.read()
}

// read handles requests until the client leaves or misbehaves.
func (cc *conn) read() {
	sc := bufio.NewScanner(cc.c)
	sc.Buffer(make([]byte, 0, 4096), maxRequestLine)
	greeted, bad := false, 0
	for sc.Scan() {
		req, err := decodeRequest(sc.Bytes())
		if errors.Is(err, errEmptyLine) {
			continue
		}
		if err != nil {
			bad++
			cc.log.Debug("malformed control request dropped", "err", err, "count", bad)
			cc.send(Reply{ID: req.ID, End: true, Error: err.Error()})
			if bad >= maxBadLines {
				return
			}
			continue
		}
		if !greeted {
			if err := checkHello(req); err != nil {
				cc.send(Reply{ID: req.ID, End: true, Error: err.Error()})
				return
			}
			greeted = true
			cc.send(Reply{ID: req.ID, End: true, Hello: &Hello{Protocol: Protocol, Version: Version}})
			continue
		}
		cc.dispatch(req)
	}
	if err := sc.Err(); err != nil && cc.ctx.Err() == nil {
		cc.log.Debug("control client dropped", "err", err)
	}
}

func checkHello(req Request) error {
	if req.Op != OpHello {
		return fmt.Errorf("send a hello first (got %q)", req.Op)
	}
	if req.Protocol != Protocol || req.Version != Version {
		return fmt.Errorf("client speaks %s version %d, this node %s version %d; use re6st-tui from the same release as re6stnet",
			req.Protocol, req.Version, Protocol, Version)
	}
	return nil
}

// send writes one reply. A write that fails or times out drops the
// client: its connection is closed and its requests end.
func (cc *conn) send(r Reply) error {
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	cc.c.SetWriteDeadline(time.Now().Add(cc.s.writeTimeout()))
	if err := cc.enc.Encode(r); err != nil {
		cc.c.Close()
		return err
	}
	return nil
}

func (cc *conn) dispatch(req Request) {
	if req.Op == OpCancel {
		cc.mu.Lock()
		if cancel, ok := cc.running[req.Cancel]; ok {
			cancel()
		}
		cc.mu.Unlock()
		return
	}
	if req.Op == OpHello {
		cc.send(Reply{ID: req.ID, End: true, Error: "hello sent twice; send it once, first"})
		return
	}
	ctx, ok := cc.start(req.ID)
	if !ok {
		cc.send(Reply{ID: req.ID, End: true, Error: fmt.Sprintf("request id %d is in use; number requests uniquely", req.ID)})
		return
	}
	cc.wg.Add(1)
	go func() {
		defer cc.wg.Done()
		defer cc.finish(req.ID)
		cc.run(ctx, req)
	}()
}

// start registers a running request, cancellable by id.
func (cc *conn) start(id uint64) (context.Context, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if _, dup := cc.running[id]; dup {
		return nil, false
	}
	ctx, cancel := context.WithCancel(cc.ctx)
	cc.running[id] = cancel
	return ctx, true
}

func (cc *conn) finish(id uint64) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cancel, ok := cc.running[id]; ok {
		cancel()
		delete(cc.running, id)
	}
}

func (cc *conn) run(ctx context.Context, req Request) {
	eng := cc.s.Engine
	switch req.Op {
	case OpSnapshot:
		st := eng.Snapshot()
		cc.send(Reply{ID: req.ID, End: true, Snapshot: &st})
	case OpSubscribe:
		cc.subscribe(ctx, req.ID)
	case OpTrace:
		cc.trace(ctx, req)
	default:
		cc.command(ctx, req)
	}
}

func (cc *conn) subscribe(ctx context.Context, id uint64) {
	ch := cc.s.Engine.Subscribe(ctx)
	if cc.send(Reply{ID: id}) != nil {
		return
	}
	for ev := range ch {
		if cc.send(Reply{ID: id, Event: &ev}) != nil {
			return
		}
	}
	cc.send(Reply{ID: id, End: true})
}

func (cc *conn) trace(ctx context.Context, req Request) {
	ch, err := cc.s.Engine.StartTrace(ctx, req.Arg)
	if err != nil {
		cc.send(Reply{ID: req.ID, End: true, Error: err.Error()})
		return
	}
	if cc.send(Reply{ID: req.ID}) != nil {
		return
	}
	for h := range ch {
		if cc.send(Reply{ID: req.ID, Hop: &h}) != nil {
			return
		}
	}
	cc.send(Reply{ID: req.ID, End: true})
}

func (cc *conn) command(ctx context.Context, req Request) {
	ctx, cancel := context.WithTimeout(ctx, cc.s.commandTimeout())
	defer cancel()
	// The reply goes out at the timeout even if the engine overlooks ctx;
	// its call then finishes on its own.
	done := make(chan error, 1)
	go func() { done <- cc.exec(ctx, req) }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil && cc.ctx.Err() != nil {
		err = fmt.Errorf("%s: interrupted, the node's control server is stopping: %w; check that re6stnet is still running", req.Op, err)
	} else if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%s: no answer from the node within %s: %w; look at the node's log", req.Op, cc.s.commandTimeout(), err)
	}
	r := Reply{ID: req.ID, End: true}
	if err != nil {
		r.Error = err.Error()
		cc.log.Info("control command failed", "op", req.Op, "arg", req.Arg, "err", err)
	}
	cc.send(r)
}

func (cc *conn) exec(ctx context.Context, req Request) error {
	eng := cc.s.Engine
	switch req.Op {
	case OpKillTunnel:
		return eng.KillTunnel(ctx, req.Arg)
	case OpConnectPeer:
		p, err := netip.ParsePrefix(req.Arg)
		if err != nil {
			return fmt.Errorf("connect to %q: not a prefix; give one such as 2001:db8:42::/48", req.Arg)
		}
		return eng.ConnectPeer(ctx, p)
	case OpRefresh:
		return eng.RefreshNetworkConfig(ctx)
	case OpRebootstrap:
		return eng.Rebootstrap(ctx)
	case OpApplyFix:
		return eng.ApplyFix(ctx, req.Arg)
	case OpRevertFix:
		return eng.RevertFix(ctx, req.Arg)
	}
	return fmt.Errorf("unknown op %q", req.Op)
}
