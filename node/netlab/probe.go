package netlab

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// Prober sends ICMPv6 echo requests from one host to many destinations
// over a single datagram ICMP socket, so a whole reachability matrix is
// probed with one socket per host instead of one pinger per pair.
type Prober struct {
	conn *icmp.PacketConn
	seq  uint16
	mu   sync.Mutex
	// sent maps a request's sequence number to its destination, so that a
	// reply is credited to the pair it answers even when it comes late.
	sent map[uint16]netip.Addr
}

// Prober opens a prober in the host, sending from src (zero: the kernel
// chooses). The host's ping_group_range lets it use a datagram socket.
func (h *Host) Prober(src netip.Addr) (*Prober, error) {
	laddr := "::"
	if src.IsValid() {
		laddr = src.String()
	}
	var conn *icmp.PacketConn
	err := h.Do(func() (err error) {
		conn, err = icmp.ListenPacket("udp6", laddr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: ICMPv6 socket on %s: %w", h.Name, laddr, err)
	}
	return &Prober{conn: conn, sent: map[uint16]netip.Addr{}}, nil
}

// Close closes the socket.
func (p *Prober) Close() error { return p.conn.Close() }

// Round sends one echo request to each of dsts and returns, by
// destination, the round-trip time of those answered within wait.
func (p *Prober) Round(ctx context.Context, dsts []netip.Addr, wait time.Duration) (map[netip.Addr]time.Duration, error) {
	sentAt := map[netip.Addr]time.Time{}
	p.mu.Lock()
	clear(p.sent)
	for _, dst := range dsts {
		p.seq++
		msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{Seq: int(p.seq), Data: []byte("re6st-tui lab probe")}}
		b, err := msg.Marshal(nil)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		p.sent[p.seq] = dst
		sentAt[dst] = time.Now()
		// An unroutable destination fails the send at once; it simply
		// gets no answer this round.
		p.conn.WriteTo(b, &net.UDPAddr{IP: dst.AsSlice()})
	}
	p.mu.Unlock()
	got := map[netip.Addr]time.Duration{}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	buf := make([]byte, 1500)
	for len(got) < len(dsts) {
		p.conn.SetReadDeadline(deadline)
		n, _, err := p.conn.ReadFrom(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		if err != nil {
			return got, err
		}
		// A datagram ICMP socket hands us only replies to our own
		// identifier: type, code, checksum, id, seq.
		if n < 8 || buf[0] != byte(ipv6.ICMPTypeEchoReply) {
			continue
		}
		seq := binary.BigEndian.Uint16(buf[6:8])
		p.mu.Lock()
		dst, ok := p.sent[seq]
		p.mu.Unlock()
		if ok {
			if _, dup := got[dst]; !dup {
				got[dst] = time.Since(sentAt[dst])
			}
		}
	}
	return got, ctx.Err()
}
