package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// rawConn is a hand-driven client, for what Client never does.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	sc *bufio.Scanner
}

func rawDial(t *testing.T, path string) *rawConn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sc := bufio.NewScanner(c)
	sc.Buffer(nil, maxReplyLine)
	return &rawConn{t: t, c: c, sc: sc}
}

func (r *rawConn) send(line string) {
	r.t.Helper()
	if _, err := fmt.Fprintln(r.c, line); err != nil {
		r.t.Fatal(err)
	}
}

// next returns the next reply, or ok=false when the server closed.
func (r *rawConn) next() (Reply, bool) {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if !r.sc.Scan() {
		if err := r.sc.Err(); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			r.t.Fatalf("read: %v", err)
		}
		return Reply{}, false
	}
	rep, err := decodeReply(r.sc.Bytes())
	if err != nil {
		r.t.Fatalf("reply %q: %v", r.sc.Text(), err)
	}
	return rep, true
}

func (r *rawConn) hello() {
	r.t.Helper()
	r.send(`{"id":1,"op":"hello","protocol":"re6st-control","version":1}`)
	if rep, ok := r.next(); !ok || rep.Hello == nil {
		r.t.Fatalf("hello answered %+v", rep)
	}
}

// A client that stops reading its socket falls behind in the engine,
// which drops it with KindLagged without ever waiting for it.
func TestSubscribeLagsAtServer(t *testing.T) {
	eng := newTestEngine(16)
	path, _ := serve(t, eng, nil)
	r := rawDial(t, path)
	r.hello()
	r.send(`{"id":2,"op":"subscribe"}`)
	if rep, ok := r.next(); !ok || rep.End || rep.Error != "" {
		t.Fatalf("subscribe answered %+v", rep)
	}
	// Far more than the socket buffers hold: Publish returns regardless.
	for i := range 50000 {
		eng.bus.Publish(logEvent(i))
	}
	var last *state.Event
	n := 0
	for {
		rep, ok := r.next()
		if !ok {
			t.Fatal("connection closed before the stream ended")
		}
		if rep.End {
			break
		}
		last, n = rep.Event, n+1
	}
	if last == nil || last.Kind != state.KindLagged {
		t.Fatalf("stream of %d events ends with %+v, want %s", n, last, state.KindLagged)
	}
	if n >= 50000 {
		t.Errorf("got all %d events; the client was never behind", n)
	}
}

func TestClientDisconnectMidStream(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	c := dial(t, path)
	sub := c.Subscribe(context.Background())
	hops, err := c.StartTrace(context.Background(), eng.Snapshot().Tunnels[0].Peer.String())
	if err != nil {
		t.Fatal(err)
	}
	eng.bus.Publish(logEvent(1))
	if _, ok := recv(t, sub); !ok {
		t.Fatal("no event before disconnect")
	}
	if _, ok := recv(t, hops); !ok {
		t.Fatal("no hop before disconnect")
	}
	c.Close()
	waitClosed(t, sub)
	waitClosed(t, hops)
	waitEnded(t, eng, 0)
	waitEnded(t, eng, 1)
	if c.Err() == nil {
		t.Error("Err is nil after Close")
	}
	if err := c.Rebootstrap(context.Background()); err == nil {
		t.Error("command on a closed client succeeded")
	}
}

func TestServerStopClosesClients(t *testing.T) {
	eng := newTestEngine(0)
	eng.hang = true
	defer close(eng.unhang)
	path, stop := serve(t, eng, func(s *Server) { s.CommandTimeout = time.Minute })
	c := dial(t, path)
	sub := c.Subscribe(context.Background())
	cmd := make(chan error, 1)
	go func() { cmd <- c.Rebootstrap(context.Background()) }()
	// Make sure the command is in flight before stopping.
	netlab.WaitFor(t, 10*time.Second, "command in flight", func() error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.pending) != 2 {
			return fmt.Errorf("%d requests pending, want 2", len(c.pending))
		}
		return nil
	})
	stop()
	waitClosed(t, sub)
	if err, _ := recv(t, cmd); err == nil || !strings.Contains(err.Error(), "re6stnet") {
		t.Errorf("command pending at stop: %v, want the lost connection", err)
	}
	<-c.Done()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket file after stop: %v, want it removed", err)
	}
	if s := c.Snapshot(); s.Status.Phase != state.Stopped || s.Status.Reason == "" {
		t.Errorf("snapshot of a stopped node = %+v, want stopped with a reason", s.Status)
	}
}

func TestManyClients(t *testing.T) {
	eng := newTestEngine(0)
	path, _ := serve(t, eng, nil)
	const clients, events = 24, 200
	var ready, wg sync.WaitGroup
	ready.Add(clients)
	errs := make(chan error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- oneClient(path, i, events, &ready)
		}()
	}
	ready.Wait()
	for i := range events {
		eng.bus.Publish(logEvent(i))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// oneClient subscribes, signals ready, then runs commands while it
// receives every event in order.
func oneClient(path string, i, events int, ready *sync.WaitGroup) error {
	c, err := Dial(path)
	if err != nil {
		ready.Done()
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := c.Subscribe(ctx)
	ready.Done()
	if err := c.RefreshNetworkConfig(ctx); err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	if s := c.Snapshot(); s.Status.Phase == state.Stopped {
		return fmt.Errorf("client %d: snapshot: %s", i, s.Status.Reason)
	}
	for n := 0; n < events; {
		select {
		case ev, ok := <-sub:
			if !ok {
				return fmt.Errorf("client %d: stream closed after %d events", i, n)
			}
			if ev.Kind != state.KindLog { // the commands' own events
				continue
			}
			if ev.Log.Message == "event" {
				if want := time.Unix(int64(n), 0); !ev.Time.Equal(want) {
					return fmt.Errorf("client %d: event %d has time %v, want %v", i, n, ev.Time, want)
				}
				n++
			}
		case <-time.After(10 * time.Second):
			return fmt.Errorf("client %d: stalled after %d events", i, n)
		}
	}
	return nil
}

func TestHelloRequired(t *testing.T) {
	path, _ := serve(t, newTestEngine(0), nil)
	for _, tc := range []struct{ line, want string }{
		{`{"id":1,"op":"snapshot"}`, "send a hello first"},
		{`{"id":1,"op":"hello","protocol":"re6st-control","version":99}`, "same release"},
		{`{"id":1,"op":"hello","protocol":"http","version":1}`, "same release"},
	} {
		r := rawDial(t, path)
		r.send(tc.line)
		rep, ok := r.next()
		if !ok || !strings.Contains(rep.Error, tc.want) {
			t.Errorf("%s answered %+v, want an error with %q", tc.line, rep, tc.want)
		}
		if _, ok := r.next(); ok {
			t.Errorf("%s: connection still open", tc.line)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	path, _ := serve(t, newTestEngine(0), nil)
	r := rawDial(t, path)
	r.hello()
	r.send(`{"id":7,"op":"launch"}`)
	if rep, _ := r.next(); rep.ID != 7 || !strings.Contains(rep.Error, "unknown op") {
		t.Errorf("unknown op answered %+v", rep)
	}
	r.send(`{"id":8,"op":"kill_tunnel"}`)
	if rep, _ := r.next(); !strings.Contains(rep.Error, "needs an arg") {
		t.Errorf("kill_tunnel without arg answered %+v", rep)
	}
	r.send(`{"id":9,"op":"connect_peer","arg":"nope"}`)
	if rep, _ := r.next(); !strings.Contains(rep.Error, "not a prefix") {
		t.Errorf("connect_peer nope answered %+v", rep)
	}
	// In one write: the server hangs up before it reads them all.
	r.send(strings.Repeat("{{{\n", maxBadLines))
	for {
		rep, ok := r.next()
		if !ok {
			break // dropped after too many bad lines
		}
		if rep.Error == "" {
			t.Fatalf("garbage answered %+v", rep)
		}
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")

	// A stale socket from a crashed node is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode().Type() != fs.ModeSocket {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// A live one is not.
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "another node") {
		t.Errorf("Listen over a live socket: %v", err)
	}
	ln.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket after Close: %v, want removed", err)
	}
	// Nor is a file that is not a socket.
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a regular file: %v", err)
	}
	if _, err := Listen(filepath.Join(dir, "missing", "s.sock")); err == nil {
		t.Error("Listen in a missing directory succeeded")
	}
}

// The server removes the socket only if it is still its own.
func TestListenCloseKeepsReplacement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.sock")
	a, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(path)
	b, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("closing the old listener removed the new socket: %v", err)
	}
}

// A client that reads nothing for WriteTimeout is disconnected, and its
// subscription in the engine ends.
func TestStuckClientDisconnected(t *testing.T) {
	eng := newTestEngine(100000)
	path, _ := serve(t, eng, func(s *Server) { s.WriteTimeout = 100 * time.Millisecond })
	r := rawDial(t, path)
	r.hello()
	r.send(`{"id":2,"op":"subscribe"}`)
	if rep, ok := r.next(); !ok || rep.End {
		t.Fatalf("subscribe answered %+v", rep)
	}
	for i := range 50000 {
		eng.bus.Publish(logEvent(i))
	}
	waitEnded(t, eng, 0)
	// The last line may be cut where the write timed out: read lines raw.
	r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for r.sc.Scan() {
		if strings.Contains(r.sc.Text(), `"end":true`) {
			t.Fatalf("stream ended normally; want the connection dropped")
		}
	}
	if err := r.sc.Err(); err != nil {
		t.Fatalf("read: %v; want the server to hang up", err)
	}
}
