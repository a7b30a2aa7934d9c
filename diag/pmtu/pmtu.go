package pmtu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// MinMTU is the smallest MTU every IPv6 link has.
const MinMTU = 1280

const headers = ipv6.HeaderLen + 8 // IPv6 + ICMPv6 echo header

// Result is what a measurement found. Sizes are whole IPv6 packets.
type Result struct {
	Expected  int  // the size the first hop allows (the interface MTU)
	Largest   int  // the largest echo request answered
	TooBig    bool // the network or the kernel said "packet too big" above Largest
	BlackHole bool // requests above Largest were lost without "packet too big"
}

// Config says what to measure.
type Config struct {
	Dst      netip.Addr
	Src      netip.Addr    // zero: the kernel chooses
	Expected int           // interface MTU of the route to Dst
	Timeout  time.Duration // per request, default 700 ms
}

// ErrRawSocket reports a lack of privilege for the raw socket.
var ErrRawSocket = errors.New("raw ICMPv6 socket not permitted: run as root or grant CAP_NET_RAW")

// Measure finds the largest packet that reaches cfg.Dst and comes back.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	if !cfg.Dst.Is6() || cfg.Expected < MinMTU {
		return Result{}, fmt.Errorf("pmtu: need an IPv6 destination and an expected MTU of at least %d, got %v and %d", MinMTU, cfg.Dst, cfg.Expected)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 700 * time.Millisecond
	}
	p, err := open(cfg)
	if err != nil {
		return Result{}, err
	}
	defer p.c.Close()
	res := Result{Expected: cfg.Expected}
	try := func(size, tries int) (outcome, error) {
		var o outcome
		for range tries {
			if o, err = p.probe(ctx, size); err != nil || o != lost {
				return o, err
			}
		}
		return o, nil
	}
	o, err := try(cfg.Expected, 2)
	if err != nil {
		return res, err
	}
	if o == answered {
		res.Largest = cfg.Expected
		return res, nil
	}
	if o, err = try(MinMTU, 2); err != nil {
		return res, err
	} else if o != answered {
		return res, fmt.Errorf("pmtu: %v does not answer even %d-byte echo requests: check it is reachable (ping)", cfg.Dst, MinMTU)
	}
	lo, hi := MinMTU, cfg.Expected // lo answered, hi not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		o, err := try(mid, 1)
		if err != nil {
			return res, err
		}
		if o == answered {
			lo = mid
		} else {
			hi = mid
		}
	}
	res.Largest = lo
	// One more look just above, patiently, to tell why it failed.
	if o, err = try(lo+1, 2); err != nil {
		return res, err
	}
	res.TooBig = o == tooBig
	res.BlackHole = o == lost
	return res, nil
}

type outcome int

const (
	lost outcome = iota
	answered
	tooBig
)

type prober struct {
	cfg   Config
	c     *icmp.PacketConn
	ident uint16
	seq   uint16
	buf   []byte
}

func open(cfg Config) (*prober, error) {
	laddr := "::"
	if cfg.Src.IsValid() {
		laddr = cfg.Src.String()
	}
	c, err := icmp.ListenPacket("ip6:ipv6-icmp", laddr)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("pmtu: %w", ErrRawSocket)
		}
		return nil, fmt.Errorf("pmtu: open ICMPv6 socket on %s: %w", laddr, err)
	}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv6.ICMPTypeEchoReply)
	f.Accept(ipv6.ICMPTypePacketTooBig)
	if err := c.IPv6PacketConn().SetICMPFilter(&f); err != nil {
		c.Close()
		return nil, fmt.Errorf("pmtu: %w", err)
	}
	// Don't fragment: a packet above the known path MTU fails with
	// EMSGSIZE instead of leaving in pieces.
	if err := setDontFrag(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("pmtu: set IPV6_DONTFRAG: %w", err)
	}
	return &prober{cfg: cfg, c: c, ident: uint16(rand.Uint32()), buf: make([]byte, 65536)}, nil
}

func setDontFrag(c *icmp.PacketConn) error {
	sc, ok := c.IPv6PacketConn().PacketConn.(syscall.Conn)
	if !ok {
		return errors.New("no raw fd")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_DONTFRAG, 1)
	})
	return errors.Join(err, serr)
}

func (p *prober) probe(ctx context.Context, size int) (outcome, error) {
	p.seq++
	b, err := (&icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{
		ID: int(p.ident), Seq: int(p.seq), Data: make([]byte, size-headers),
	}}).Marshal(nil)
	if err != nil {
		return lost, err
	}
	if _, err := p.c.WriteTo(b, &net.IPAddr{IP: net.IP(p.cfg.Dst.AsSlice())}); err != nil {
		if errors.Is(err, syscall.EMSGSIZE) {
			return tooBig, nil // the kernel already learned a smaller path MTU
		}
		return lost, fmt.Errorf("pmtu: send %d bytes to %v: %w", size, p.cfg.Dst, err)
	}
	deadline := time.Now().Add(p.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.c.SetReadDeadline(deadline); err != nil {
		return lost, err
	}
	for {
		n, from, err := p.c.ReadFrom(p.buf)
		if err != nil {
			if errors.Is(err, ctx.Err()) || ctx.Err() != nil {
				return lost, ctx.Err()
			}
			return lost, nil // timeout
		}
		if o, ok := p.classify(p.buf[:n], from); ok {
			return o, nil
		}
	}
}

// classify reports what msg says about the current probe.
func (p *prober) classify(msg []byte, from net.Addr) (outcome, bool) {
	m, err := icmp.ParseMessage(58, msg)
	if err != nil {
		return lost, false
	}
	switch body := m.Body.(type) {
	case *icmp.Echo:
		ia, ok := from.(*net.IPAddr)
		if !ok {
			return lost, false
		}
		src, _ := netip.AddrFromSlice(ia.IP)
		if m.Type == ipv6.ICMPTypeEchoReply && src.Unmap() == p.cfg.Dst && uint16(body.ID) == p.ident && uint16(body.Seq) == p.seq {
			return answered, true
		}
	case *icmp.PacketTooBig:
		d := body.Data
		if len(d) >= headers && d[6] == 58 && d[40] == byte(ipv6.ICMPTypeEchoRequest) &&
			binary.BigEndian.Uint16(d[44:]) == p.ident && binary.BigEndian.Uint16(d[46:]) == p.seq && netip.AddrFrom16([16]byte(d[24:40])) == p.cfg.Dst {
			return tooBig, true
		}
	}
	return lost, false
}
