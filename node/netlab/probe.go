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

// Stream sends an echo request to dst every interval until Stop (the
// prober is the stream's from then on: do not call Round), and
// records when replies come back: the longest gap between replies is the
// outage a change caused. A send that fails, because the route is gone for
// a moment, is a lost request, not an end.
func (p *Prober) Stream(dst netip.Addr, every time.Duration) *Stream {
	s := &Stream{p: p, quit: make(chan struct{}), sent: make(chan struct{}), done: make(chan struct{}), answered: map[uint16]bool{}}
	go s.receive()
	go s.send(dst, every)
	return s
}

// Stream is a running [Prober.Stream].
type Stream struct {
	p    *Prober
	quit chan struct{}
	sent chan struct{} // closed when the sender has stopped
	done chan struct{}

	stopSending, closed sync.Once

	mu sync.Mutex
	// guarded by mu: requests sent, the times of the replies and the
	// sequence numbers answered
	count    int
	times    []time.Time
	answered map[uint16]bool
}

func (s *Stream) send(dst netip.Addr, every time.Duration) {
	defer close(s.sent)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for seq := 0; ; seq++ {
		msg := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{Seq: seq & 0xffff, Data: []byte("re6st-tui lab stream")}}
		b, _ := msg.Marshal(nil)
		s.p.conn.WriteTo(b, &net.UDPAddr{IP: dst.AsSlice()})
		s.mu.Lock()
		s.count++
		s.mu.Unlock()
		select {
		case <-s.quit:
			return
		case <-tick.C:
		}
	}
}

func (s *Stream) receive() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, _, err := s.p.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if n >= 8 && buf[0] == byte(ipv6.ICMPTypeEchoReply) {
			s.mu.Lock()
			s.times = append(s.times, time.Now())
			s.answered[binary.BigEndian.Uint16(buf[6:8])] = true
			s.mu.Unlock()
		}
	}
}

// Stop ends the stream and closes the prober's socket.
func (s *Stream) Stop() {
	s.stopSending.Do(func() { close(s.quit) })
	s.closed.Do(func() {
		<-s.sent
		s.p.Close()
		<-s.done
	})
}

// Finish stops sending, waits up to wait for the replies still on their
// way, then stops the stream. It returns how many requests were sent and
// how many of them got no reply (a stream longer than 65536 requests
// reuses sequence numbers: keep it shorter to count exactly).
func (s *Stream) Finish(wait time.Duration) (sent, lost int) {
	s.stopSending.Do(func() { close(s.quit) })
	<-s.sent
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		all := len(s.answered) >= min(s.count, 1<<16)
		s.mu.Unlock()
		if all {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, min(s.count, 1<<16) - len(s.answered)
}

// Counts returns the requests sent and the replies received so far.
func (s *Stream) Counts() (sent, replies int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, len(s.times)
}

// LastReply is when the latest reply came, zero before the first.
func (s *Stream) LastReply() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.times) == 0 {
		return time.Time{}
	}
	return s.times[len(s.times)-1]
}

// LongestLoss is the longest run of consecutive requests that got no
// reply, of the first 65536: an outage measured in requests lost, which a
// stall of the test process cannot lengthen the way it delays the reading
// of replies. Call it after [Stream.Finish].
func (s *Stream) LongestLoss() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	longest, run := 0, 0
	for seq := range min(s.count, 1<<16) {
		if s.answered[uint16(seq)] {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}

// LongestGap is the longest time between two replies.
func (s *Stream) LongestGap() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gap time.Duration
	for i := 1; i < len(s.times); i++ {
		gap = max(gap, s.times[i].Sub(s.times[i-1]))
	}
	return gap
}
