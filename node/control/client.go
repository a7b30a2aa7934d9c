package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"re6st-tui/node/state"
)

// Client buffers and timeouts.
const (
	// SubscribeBuffer is how many events a subscriber of a Client may
	// fall behind by before it gets KindLagged, as with the engine.
	SubscribeBuffer = 4096
	traceBuffer     = 256
	dialTimeout     = 5 * time.Second
	// snapshotTimeout bounds Snapshot, whose signature has no context.
	snapshotTimeout = 30 * time.Second
)

// Client speaks to a node's control socket. Its methods implement
// [Engine], so the dashboard shows a remote node as it shows its own.
// It is safe for concurrent use.
type Client struct {
	path string
	c    net.Conn
	wmu  sync.Mutex // serialises writes
	enc  *json.Encoder
	done chan struct{}
	bad  atomic.Uint64

	mu      sync.Mutex
	next    uint64           // guarded by mu
	pending map[uint64]*call // guarded by mu
	err     error            // guarded by mu; why the connection ended
}

// call is one request waiting for replies. Only the reading goroutine
// touches acked; first receives the first reply, or a made-up error reply
// if the connection ends before it.
type call struct {
	id    uint64 // set by register
	first chan Reply
	acked bool
	item  func(Reply) // streams: each reply after the acknowledgement
	end   func()      // streams: the stream ended
}

// Dial connects to the control socket at path and exchanges hellos.
func Dial(path string) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	return DialContext(ctx, path)
}

// DialContext is Dial bounded by ctx.
func DialContext(ctx context.Context, path string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w; check that re6stnet runs and that you are root", path, err)
	}
	c := &Client{path: path, c: nc, enc: json.NewEncoder(nc), done: make(chan struct{}),
		pending: map[uint64]*call{}}
	go c.read()
	r, err := c.do(ctx, Request{Op: OpHello, Protocol: Protocol, Version: Version})
	if err == nil && (r.Hello == nil || r.Hello.Protocol != Protocol || r.Hello.Version != Version) {
		err = fmt.Errorf("the node answered %+v, not %s version %d; use re6st-tui from the same release as re6stnet", r.Hello, Protocol, Version)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: hello: %w", path, err)
	}
	return c, nil
}

// Close ends the connection; pending commands fail and streams close.
func (c *Client) Close() error {
	err := c.c.Close()
	<-c.done
	return err
}

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended, or nil while it is up.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// MalformedReplies counts the reply lines dropped because they did not
// parse.
func (c *Client) MalformedReplies() uint64 { return c.bad.Load() }

// read dispatches replies to their calls until the connection ends.
func (c *Client) read() {
	defer close(c.done)
	sc := bufio.NewScanner(c.c)
	sc.Buffer(make([]byte, 0, 64<<10), maxReplyLine)
	for sc.Scan() {
		r, err := decodeReply(sc.Bytes())
		if err != nil {
			if !errors.Is(err, errEmptyLine) {
				c.bad.Add(1)
			}
			continue
		}
		c.deliver(r)
	}
	err := sc.Err()
	if err == nil {
		err = errors.New("the node closed the connection")
	}
	c.fail(fmt.Errorf("control socket %s: %w; check that re6stnet is still running", c.path, err))
}

func (c *Client) deliver(r Reply) {
	c.mu.Lock()
	cl := c.pending[r.ID]
	if cl != nil && r.End {
		delete(c.pending, r.ID)
	}
	c.mu.Unlock()
	switch {
	case cl == nil: // a reply to a request given up on
	case !cl.acked:
		cl.acked = true
		cl.first <- r
	case r.End:
		if cl.end != nil {
			cl.end()
		}
	case cl.item != nil:
		cl.item(r)
	}
}

// fail ends every pending call with err.
func (c *Client) fail(err error) {
	c.mu.Lock()
	c.err = err
	pending := c.pending
	c.pending = map[uint64]*call{}
	c.mu.Unlock()
	for _, cl := range pending {
		if !cl.acked {
			cl.acked = true
			cl.first <- Reply{End: true, Error: err.Error()}
		} else if cl.end != nil {
			cl.end()
		}
	}
}

// start registers cl and sends req under a fresh ID.
func (c *Client) start(req Request, cl *call) (uint64, error) {
	id, err := c.register(cl)
	if err != nil {
		return 0, err
	}
	return id, c.send(id, req)
}

// register reserves an ID for cl.
func (c *Client) register(cl *call) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	c.next++
	cl.id = c.next
	c.pending[c.next] = cl
	return c.next, nil
}

// send sends req as request id.
func (c *Client) send(id uint64, req Request) error {
	req.ID = id
	if err := c.write(req); err != nil {
		c.forget(id)
		return fmt.Errorf("control socket %s: %w; check that re6stnet is still running", c.path, err)
	}
	return nil
}

func (c *Client) write(req Request) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.c.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
	return c.enc.Encode(req)
}

func (c *Client) forget(id uint64) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// cancel asks the node to end request id, without waiting: the reading
// goroutine calls it too, and must never block on a write.
func (c *Client) cancel(id uint64) {
	c.forget(id)
	go c.write(Request{ID: id, Op: OpCancel, Cancel: id})
}

// do sends req and waits for its first reply.
func (c *Client) do(ctx context.Context, req Request) (Reply, error) {
	cl := &call{first: make(chan Reply, 1)}
	id, err := c.start(req, cl)
	if err != nil {
		return Reply{}, err
	}
	select {
	case r := <-cl.first:
		if r.Error != "" {
			return r, errors.New(r.Error)
		}
		return r, nil
	case <-ctx.Done():
		c.cancel(id)
		return Reply{}, fmt.Errorf("%s: %w", req.Op, ctx.Err())
	}
}

func (c *Client) command(ctx context.Context, op, arg string) error {
	_, err := c.do(ctx, Request{Op: op, Arg: arg})
	return err
}

// Snapshot implements Engine. When the node cannot be asked, the state
// returned is stopped, with the reason.
func (c *Client) Snapshot() state.State {
	ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
	defer cancel()
	r, err := c.do(ctx, Request{Op: OpSnapshot})
	if err == nil && r.Snapshot == nil {
		err = errors.New("the node sent an empty snapshot")
	}
	if err != nil {
		return state.State{Status: state.Status{Phase: state.Stopped, Reason: err.Error(), Since: time.Now()}}
	}
	return *r.Snapshot
}

// KillTunnel implements Engine.
func (c *Client) KillTunnel(ctx context.Context, id string) error {
	return c.command(ctx, OpKillTunnel, id)
}

// ConnectPeer implements Engine.
func (c *Client) ConnectPeer(ctx context.Context, prefix netip.Prefix) error {
	return c.command(ctx, OpConnectPeer, prefix.String())
}

// RefreshNetworkConfig implements Engine.
func (c *Client) RefreshNetworkConfig(ctx context.Context) error {
	return c.command(ctx, OpRefresh, "")
}

// Rebootstrap implements Engine.
func (c *Client) Rebootstrap(ctx context.Context) error {
	return c.command(ctx, OpRebootstrap, "")
}

// ApplyFix implements Engine.
func (c *Client) ApplyFix(ctx context.Context, id string) error {
	return c.command(ctx, OpApplyFix, id)
}

// RevertFix implements Engine.
func (c *Client) RevertFix(ctx context.Context, id string) error {
	return c.command(ctx, OpRevertFix, id)
}
