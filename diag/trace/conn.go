package trace

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// ErrRawSocket reports that the raw ICMPv6 socket could not be opened for
// lack of privilege.
var ErrRawSocket = errors.New("raw ICMPv6 socket not permitted: run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep on the binary)")

// conn sends probes and reads ICMPv6 messages; the real one is sockets, the
// tests' one a simulated path.
type conn interface {
	// send sends probe seq with the given hop limit.
	send(hopLimit int, seq uint16) error
	// recv blocks for the next ICMPv6 message; it fails once closed.
	recv(buf []byte) (n int, from netip.Addr, err error)
	matcher() matcher
	close() error
}

// sockets is the real conn: a raw ICMPv6 socket for answers (and echo
// probes), plus a UDP socket for UDP probes.
type sockets struct {
	m    matcher
	raw  *icmp.PacketConn
	rawp *ipv6.PacketConn
	udp  *ipv6.PacketConn
	udpc *net.UDPConn
	pay  []byte
}

func listen(c Config, ident uint16) (*sockets, error) {
	laddr := "::"
	if c.Src.IsValid() {
		laddr = c.Src.String()
	}
	raw, err := icmp.ListenPacket("ip6:ipv6-icmp", laddr)
	if err != nil {
		return nil, openError(laddr, err)
	}
	s := &sockets{raw: raw, rawp: raw.IPv6PacketConn(), pay: make([]byte, 32)}
	s.m = matcher{mode: c.Mode, dst: c.Dst, port: c.Port, ident: ident}
	var f ipv6.ICMPFilter
	f.SetAll(true)
	for _, t := range []ipv6.ICMPType{ipv6.ICMPTypeTimeExceeded, ipv6.ICMPTypeDestinationUnreachable, ipv6.ICMPTypeEchoReply} {
		f.Accept(t)
	}
	if err := s.rawp.SetICMPFilter(&f); err != nil {
		raw.Close()
		return nil, fmt.Errorf("trace: filter ICMPv6 socket: %w", err)
	}
	if c.Mode == UDP {
		u, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IP(c.Src.AsSlice())})
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("trace: open UDP socket on %s: %w", laddr, err)
		}
		s.udpc, s.udp = u, ipv6.NewPacketConn(u)
		s.m.srcPort = uint16(u.LocalAddr().(*net.UDPAddr).Port)
	}
	return s, nil
}

func (s *sockets) matcher() matcher { return s.m }

func (s *sockets) send(hopLimit int, seq uint16) error {
	cm := &ipv6.ControlMessage{HopLimit: hopLimit}
	dst := net.IP(s.m.dst.AsSlice())
	if s.m.mode == UDP {
		_, err := s.udp.WriteTo(s.pay, cm, &net.UDPAddr{IP: dst, Port: s.m.port + int(seq)})
		return err
	}
	b, err := (&icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{
		ID: int(s.m.ident), Seq: int(seq), Data: s.pay,
	}}).Marshal(nil) // the kernel fills the ICMPv6 checksum on raw sockets
	if err != nil {
		return err
	}
	_, err = s.rawp.WriteTo(b, cm, &net.IPAddr{IP: dst})
	return err
}

func (s *sockets) recv(buf []byte) (int, netip.Addr, error) {
	n, peer, err := s.raw.ReadFrom(buf)
	if err != nil {
		return 0, netip.Addr{}, err
	}
	var from netip.Addr
	if ia, ok := peer.(*net.IPAddr); ok {
		from, _ = netip.AddrFromSlice(ia.IP)
	}
	return n, from.Unmap(), nil
}

func (s *sockets) close() error {
	err := s.raw.Close()
	if s.udpc != nil {
		err = errors.Join(err, s.udpc.Close())
	}
	return err
}

func openError(laddr string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("trace: %w", ErrRawSocket)
	}
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return fmt.Errorf("trace: source %s is not an address of this host: pick one of its own: %w", laddr, err)
	}
	return fmt.Errorf("trace: open ICMPv6 socket on %s: %w", laddr, err)
}
