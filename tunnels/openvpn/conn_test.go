package openvpn

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer is the OpenVPN side of a management connection: it reads our
// commands and answers from a script.
type fakeServer struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newPair(t *testing.T) (*Conn, *fakeServer) {
	t.Helper()
	a, b := net.Pipe()
	c := NewConn(a, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { c.Close(); b.Close() })
	return c, &fakeServer{t: t, conn: b, r: bufio.NewReader(b)}
}

func (f *fakeServer) expect(want string) {
	f.t.Helper()
	line, err := f.r.ReadString('\n')
	if err != nil {
		f.t.Errorf("fake server: read: %v", err)
		return
	}
	if got := strings.TrimSuffix(line, "\n"); got != want {
		f.t.Errorf("fake server got %q, want %q", got, want)
	}
}

func (f *fakeServer) send(lines ...string) {
	f.t.Helper()
	if _, err := f.conn.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		f.t.Errorf("fake server: write: %v", err)
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// Notifications that arrive while a command waits for its answer are
// queued, and the answer goes to the command.
func TestConnCommandBetweenNotifications(t *testing.T) {
	c, srv := newPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.expect("state on")
		srv.send(">STATE:1,CONNECTING,,,,,,", ">CLIENT:CONNECT,0,1", ">CLIENT:ENV,common_name=2/16",
			">CLIENT:ENV,END", "SUCCESS: real-time state notification set to ON")
		srv.expect("client-auth 0 1")
		srv.expect(`push "setenv-safe external_ip 198.18.0.12"`)
		srv.expect("END")
		srv.send(">BYTECOUNT_CLI:0,1,2", "SUCCESS: client-auth command succeeded")
		srv.expect("bogus")
		srv.send("ERROR: unknown command")
		srv.expect("status")
		srv.send("line one", "line two", "END")
	}()
	if _, err := c.Command(ctx(t), "state on"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Command(ctx(t), "client-auth 0 1\npush "+Quote("setenv-safe external_ip 198.18.0.12")+"\nEND"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Command(ctx(t), "bogus"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Fatalf("bogus command: err = %v", err)
	}
	out, err := c.Command(ctx(t), "status")
	if err != nil || out != "line one\nline two" {
		t.Fatalf("status = %q, %v", out, err)
	}
	<-done
	var kinds []string
	for range 3 {
		m, err := c.Next(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case State:
			kinds = append(kinds, "state:"+m.Name)
		case Client:
			kinds = append(kinds, "client:"+m.Event+":"+m.Env["common_name"])
		case ByteCount:
			kinds = append(kinds, "bytes")
		}
	}
	if got := strings.Join(kinds, " "); got != "state:CONNECTING client:CONNECT:2/16 bytes" {
		t.Fatalf("notifications: %s", got)
	}
}

// Malformed and oversized lines are counted and skipped; the stream goes on.
func TestConnDropsBadLines(t *testing.T) {
	c, srv := newPair(t)
	go srv.send(">STATE:x,y", strings.Repeat("A", maxLine+10), "SUCCESS: stray", ">BYTECOUNT:5,6")
	m, err := c.Next(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if m != (ByteCount{CID: -1, In: 5, Out: 6}) {
		t.Fatalf("got %#v", m)
	}
	if n := c.Dropped(); n != 3 {
		t.Fatalf("Dropped = %d, want 3", n)
	}
}

// When OpenVPN goes away, waiting commands and Next fail with ErrClosed
// after the queued notifications were handed out.
func TestConnClosed(t *testing.T) {
	c, srv := newPair(t)
	go func() {
		srv.expect("hold release")
		srv.send(">FATAL:cannot open tap")
		srv.conn.Close()
	}()
	if _, err := c.Command(ctx(t), "hold release"); !errors.Is(err, ErrClosed) {
		t.Fatalf("command on closing conn: %v", err)
	}
	m, err := c.Next(ctx(t))
	if err != nil || m != (Notice{Source: "FATAL", Text: "cannot open tap"}) {
		t.Fatalf("Next = %#v, %v", m, err)
	}
	if _, err := c.Next(ctx(t)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after close: %v", err)
	}
	if _, err := c.Command(ctx(t), "state"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Command after close: %v", err)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote(`a "b" \c` + "\nd"); got != `"a \"b\" \\c d"` {
		t.Fatalf("Quote = %s", got)
	}
}
