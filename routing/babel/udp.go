package babel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"re6st-tui/routing/babel/wire"
)

// UDP is the real [Transport]: one IPv6 socket on [::]:6696, as babeld.
// Its socket lives in the network namespace of the thread that called
// [ListenUDP]; everything else may run on any thread.
type UDP struct {
	conn net.PacketConn
	pc   *ipv6.PacketConn
	rx   chan Datagram
}

// ListenUDP opens the Babel socket and starts receiving. Packets without
// destination information are dropped, as babeld does.
func ListenUDP(port int) (*UDP, error) {
	if port == 0 {
		port = wire.Port
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = errors.Join(unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1),
				unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1))
			// A full table from a big neighbour arrives in one burst: with
			// CAP_NET_ADMIN, exceed net.core.rmem_max (babeld loses packets here).
			if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20) != nil {
				_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
			}
		})
		return errors.Join(err, serr)
	}}
	conn, err := lc.ListenPacket(context.Background(), "udp6", "[::]:"+strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("babel: listen on udp port %d: %w (is another Babel daemon running?)", port, err)
	}
	pc := ipv6.NewPacketConn(conn)
	err = errors.Join(
		pc.SetControlMessage(ipv6.FlagDst|ipv6.FlagInterface, true),
		pc.SetMulticastHopLimit(1),
		pc.SetHopLimit(1),
		pc.SetMulticastLoopback(false),
		pc.SetTrafficClass(0xC0),
	)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("babel: socket options: %w", err)
	}
	u := &UDP{conn: conn, pc: pc, rx: make(chan Datagram, 4096)}
	go u.read(port)
	return u, nil
}

// Recv is the channel of received datagrams for [Speaker.Run]; it closes with the socket.
func (u *UDP) Recv() <-chan Datagram { return u.rx }

// Close closes the socket.
func (u *UDP) Close() error { return u.conn.Close() }

func (u *UDP) read(port int) {
	defer close(u.rx)
	buf := make([]byte, 65536)
	for {
		n, cm, src, err := u.pc.ReadFrom(buf)
		at := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		ua, ok := src.(*net.UDPAddr)
		if cm == nil || !ok || cm.Dst == nil {
			continue
		}
		s, _ := netip.AddrFromSlice(ua.IP)
		d, _ := netip.AddrFromSlice(cm.Dst)
		u.rx <- Datagram{Ifindex: cm.IfIndex, Src: s.Unmap(), Dst: d.Unmap(), Data: append([]byte(nil), buf[:n]...), At: at}
	}
}

// Send sends from the interface's link-local address, pinned with IPV6_PKTINFO.
func (u *UDP) Send(d Datagram) error {
	cm := &ipv6.ControlMessage{Src: d.Src.AsSlice(), IfIndex: d.Ifindex, HopLimit: 1}
	// No zone: the interface comes with IPV6_PKTINFO, and a zone would make
	// x/net list the interfaces (of this thread's namespace) to resolve it.
	dst := &net.UDPAddr{IP: d.Dst.AsSlice(), Port: wire.Port}
	_, err := u.pc.WriteTo(d.Data, cm, dst)
	return err
}

// Join joins ff02::1:6 on the interface.
func (u *UDP) Join(ifindex int) error {
	return u.pc.JoinGroup(&net.Interface{Index: ifindex}, &net.UDPAddr{IP: wire.Group.AsSlice()})
}

// Leave leaves the group on the interface.
func (u *UDP) Leave(ifindex int) error {
	return u.pc.LeaveGroup(&net.Interface{Index: ifindex}, &net.UDPAddr{IP: wire.Group.AsSlice()})
}
