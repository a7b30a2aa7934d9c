package babelctl

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"re6st-tui/routing/babel"
)

type fakeSpeaker struct {
	mu   sync.Mutex
	snap babel.Snapshot
	set  []string
}

func (f *fakeSpeaker) Snapshot() (babel.Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap, nil
}

func (f *fakeSpeaker) SetCostMultiplier(ifname string, addr netip.Addr, m uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set = append(f.set, ifname+" "+addr.String()+" "+itoa(m))
	return nil
}

func itoa(m uint16) string { return strconv.Itoa(int(m)) }

func serve(t *testing.T, sp Speaker) (path string, stop func() error) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "babeld.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&Server{Speaker: sp}).Serve(ctx, ln) }()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(5 * time.Second):
			t.Error("Serve still running 5 s after its context ended")
			return nil
		}
	})
	t.Cleanup(func() { stop() })
	return path, stop
}

// readMessage reads one answer: its type and body.
func readMessage(t *testing.T, c net.Conn) (uint16, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [6]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		t.Fatalf("answer header: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(h[2:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("answer body: %v", err)
	}
	return binary.BigEndian.Uint16(h[:2]), body
}

// A client as re6st's registry and node: hello byte, a dump, a cost
// multiplier, another dump on the same connection.
func TestServe(t *testing.T) {
	sp := &fakeSpeaker{snap: testSnapshot()}
	path, stop := serve(t, sp)
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte{1})
	c.Write(dumpRequest)
	typ, body := readMessage(t, c)
	if typ != TypeDump {
		t.Fatalf("answer of type %d to a dump", typ)
	}
	if d := decodeDump(t, body); len(d.Neighbours) != 2 || len(d.Routes) != 1 {
		t.Errorf("dump: %+v", d)
	}
	c.Write(costRequest)
	if typ, body := readMessage(t, c); typ != TypeSetCostMultiplier || !bytes.Equal(body, []byte{0}) {
		t.Errorf("cost multiplier answer: type %d, % x", typ, body)
	}
	if want := "re6stnet0 fe80::2 " + itoa(4096); len(sp.set) != 1 || sp.set[0] != want {
		t.Errorf("multipliers set: %q, want %q", sp.set, want)
	}
	c.Write(dumpRequest)
	if typ, _ := readMessage(t, c); typ != TypeDump {
		t.Errorf("second dump answered with type %d", typ)
	}
	// Stopping closes the connection and returns.
	if err := stop(); err != nil {
		t.Errorf("Serve: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the connection is still open after Serve returned")
	}
}

// A client that does not speak the protocol is dropped; others are served.
func TestServeDropsStrangers(t *testing.T) {
	path, _ := serve(t, &fakeSpeaker{snap: testSnapshot()})
	for _, in := range [][]byte{{'G', 'E', 'T'}, append([]byte{1}, 0, 9, 0, 0, 0, 0)} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(in)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := c.Read(make([]byte, 64)); err != io.EOF {
			t.Errorf("after % x: read %d bytes, %v; want the connection closed", in, n, err)
		}
		c.Close()
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(append([]byte{1}, dumpRequest...))
	if typ, _ := readMessage(t, c); typ != TypeDump {
		t.Errorf("answer of type %d", typ)
	}
}
