package trace

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

var (
	testSrc = netip.MustParseAddr("2001:db8:42:1::1")
	testDst = netip.MustParseAddr("2001:db8:42:9::1")
)

// hopAddr is router ttl's address on the simulated path.
func hopAddr(ttl int) netip.Addr {
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0x77, 15: byte(ttl)})
}

// fakePath simulates a path: routers at hop limits 1..len-1 answer time
// exceeded, the destination sits at hop len; rtt(ttl) says when.
type fakePath struct {
	mu      sync.Mutex
	m       matcher
	length  int
	rtt     func(ttl int) time.Duration
	silent  map[int]bool // routers that never answer
	unreach map[int]int  // routers answering destination unreachable with this code
	ch      chan packet
	closed  bool
	sent    int
	sendErr error
}

func newFakePath(length int, rtt func(int) time.Duration) *fakePath {
	return &fakePath{length: length, rtt: rtt, silent: map[int]bool{}, unreach: map[int]int{}, ch: make(chan packet, 1024)}
}

func (f *fakePath) dial(c Config, ident uint16) (conn, error) {
	f.m = matcher{mode: c.Mode, dst: c.Dst, port: c.Port, srcPort: 40000, ident: ident}
	return f, nil
}

func (f *fakePath) matcher() matcher { return f.m }

func (f *fakePath) send(ttl int, seq uint16) error {
	f.mu.Lock()
	f.sent++
	length, err := f.length, f.sendErr
	f.mu.Unlock()
	if err != nil {
		return err
	}
	var from netip.Addr
	var msg []byte
	switch {
	case ttl >= length:
		from = f.m.dst
		if f.m.mode == ICMP {
			msg = marshal(ipv6.ICMPTypeEchoReply, 0, &icmp.Echo{ID: int(f.m.ident), Seq: int(seq)})
		} else {
			msg = marshal(ipv6.ICMPTypeDestinationUnreachable, 4, &icmp.DstUnreach{Data: f.quote(seq)})
		}
	case f.silent[ttl]:
		return nil
	default:
		from = hopAddr(ttl)
		if code, ok := f.unreach[ttl]; ok {
			msg = marshal(ipv6.ICMPTypeDestinationUnreachable, code, &icmp.DstUnreach{Data: f.quote(seq)})
		} else {
			msg = marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: f.quote(seq)})
		}
	}
	time.AfterFunc(f.rtt(min(ttl, length)), func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.closed {
			f.ch <- packet{b: msg, from: from}
		}
	})
	return nil
}

// quote builds the start of the probe as a router quotes it back.
func (f *fakePath) quote(seq uint16) []byte {
	next := 17
	l4 := make([]byte, 8)
	if f.m.mode == ICMP {
		next = protoICMPv6
		l4[0] = byte(ipv6.ICMPTypeEchoRequest)
		binary.BigEndian.PutUint16(l4[4:], f.m.ident)
		binary.BigEndian.PutUint16(l4[6:], seq)
	} else {
		binary.BigEndian.PutUint16(l4[0:], f.m.srcPort)
		binary.BigEndian.PutUint16(l4[2:], uint16(f.m.port)+seq)
	}
	return append(ipv6Header(next, testSrc, f.m.dst), l4...)
}

func ipv6Header(next int, src, dst netip.Addr) []byte {
	h := make([]byte, ipv6.HeaderLen)
	h[0] = 6 << 4
	h[6] = byte(next)
	h[7] = 1
	s, d := src.As16(), dst.As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return h
}

func marshal(t ipv6.ICMPType, code int, body icmp.MessageBody) []byte {
	b, err := (&icmp.Message{Type: t, Code: code, Body: body}).Marshal(nil)
	if err != nil {
		panic(err)
	}
	return b
}

func (f *fakePath) recv(buf []byte) (int, netip.Addr, error) {
	p, ok := <-f.ch
	if !ok {
		return 0, netip.Addr{}, errors.New("closed")
	}
	return copy(buf, p.b), p.from, nil
}

func (f *fakePath) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.ch)
	}
	return nil
}
