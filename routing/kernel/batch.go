package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// Op is one change of a batch: Replace installs Route, replacing the route
// with the same destination, source, table and metric; Delete removes it.
type Op struct {
	Delete bool
	Route  Route
}

func (o Op) String() string {
	if o.Delete {
		return "delete " + o.Route.String()
	}
	return "replace " + o.Route.String()
}

// batchSize bounds the messages of one write: the error replies of a
// failed batch must fit in the socket's receive buffer.
const batchSize = 128

// Apply makes the changes in order, writing up to batchSize messages at a
// time. It returns nil when all succeeded, else one error per op (nil for
// those that succeeded). Deleting a route that is not there gives
// [ErrNotFound].
func (n *Netlink) Apply(ops []Op) []error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for start := 0; start < len(ops); start += batchSize {
		chunk := ops[start:min(start+batchSize, len(ops))]
		failed := n.applyLocked(chunk)
		for i, err := range failed {
			if err == nil {
				continue
			}
			if errs == nil {
				errs = make([]error, len(ops))
			}
			errs[start+i] = err
		}
	}
	return errs
}

// applyLocked writes chunk in one message and reads the replies. Only the
// last message asks for an acknowledgement: the kernel answers the others
// only when they fail, and in order, so that acknowledgement ends the batch.
func (n *Netlink) applyLocked(chunk []Op) []error {
	n.wbuf = n.wbuf[:0]
	first := n.seq + 1
	for i, op := range chunk {
		n.seq++
		typ, flags := uint16(unix.RTM_NEWROUTE), uint16(unix.NLM_F_REQUEST|unix.NLM_F_CREATE|unix.NLM_F_REPLACE)
		if op.Delete {
			typ, flags = unix.RTM_DELROUTE, unix.NLM_F_REQUEST
		}
		if i == len(chunk)-1 {
			flags |= unix.NLM_F_ACK
		}
		n.wbuf = appendRouteMsg(n.wbuf, typ, flags, n.seq, n.proto, op.Route)
	}
	errs := make([]error, len(chunk))
	fail := func(err error) []error {
		for i, op := range chunk {
			errs[i] = opError(op, err)
		}
		return errs
	}
	fd := n.sock.Socket.GetFd()
	if err := unix.Sendto(fd, n.wbuf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(err)
	}
	last := n.seq
	if n.rbuf == nil {
		n.rbuf = make([]byte, 1<<16)
	}
	for {
		nr, err := recvWait(fd, n.rbuf)
		if err != nil {
			return fail(fmt.Errorf("read netlink replies: %w", err))
		}
		for b := n.rbuf[:nr]; len(b) >= unix.SizeofNlMsghdr; {
			l := int(binary.NativeEndian.Uint32(b[0:4]))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				break
			}
			typ := binary.NativeEndian.Uint16(b[4:6])
			seq := binary.NativeEndian.Uint32(b[8:12])
			if typ == unix.NLMSG_ERROR && l >= unix.SizeofNlMsghdr+4 && seq >= first && seq <= last {
				if code := int32(binary.NativeEndian.Uint32(b[16:20])); code != 0 {
					i := seq - first
					errs[i] = opError(chunk[i], syscall.Errno(-code))
				}
				if seq == last {
					return errs
				}
			}
			b = b[min(nlmsgAlign(l), len(b)):]
		}
	}
}

// recvWait reads from the non-blocking netlink socket, waiting up to 5 s.
func recvWait(fd int, buf []byte) (int, error) {
	for {
		nr, _, err := unix.Recvfrom(fd, buf, 0)
		if err == nil {
			return nr, nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		ready, err := unix.Poll(pfd, 5000)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if ready == 0 {
			return 0, errors.New("no reply from the kernel within 5 s")
		}
	}
}

func opError(op Op, err error) error {
	r := op.Route
	if op.Delete {
		if errors.Is(err, syscall.ESRCH) {
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return fmt.Errorf("remove route %v: %w", r, err)
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EAFNOSUPPORT)) {
		err = fmt.Errorf("%w: %w", ErrNoSubtrees, err)
	}
	return fmt.Errorf("install route %v: %w", r, err)
}

func nlmsgAlign(l int) int { return (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// appendRouteMsg appends one rtnetlink route message for r.
func appendRouteMsg(b []byte, typ, flags uint16, seq uint32, proto uint8, r Route) []byte {
	start := len(b)
	b = binary.NativeEndian.AppendUint32(b, 0) // length, set below
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel's
	table := r.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	srcLen := 0
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		srcLen = r.Src.Bits()
	}
	rtType, rtFlags := uint8(unix.RTN_UNICAST), uint32(0)
	if r.Unreachable {
		rtType = unix.RTN_UNREACHABLE
	} else if r.Gateway.IsValid() {
		rtFlags = unix.RTNH_F_ONLINK
	}
	tableByte := uint8(unix.RT_TABLE_UNSPEC)
	if table < 256 {
		tableByte = uint8(table)
	}
	b = append(b, family(r.Dst), uint8(r.Dst.Bits()), uint8(srcLen), 0, tableByte, proto, unix.RT_SCOPE_UNIVERSE, rtType)
	b = binary.NativeEndian.AppendUint32(b, rtFlags)
	if r.Dst.Bits() > 0 {
		b = appendAddr(b, unix.RTA_DST, r.Dst.Masked().Addr())
	}
	if srcLen > 0 {
		b = appendAddr(b, unix.RTA_SRC, r.Src.Masked().Addr())
	}
	if table >= 256 {
		b = appendUint32(b, unix.RTA_TABLE, uint32(table))
	}
	if !r.Unreachable {
		if gw := r.Gateway.Unmap(); gw.IsValid() {
			if gw.Is4() == r.Dst.Addr().Is4() {
				b = appendAddr(b, unix.RTA_GATEWAY, gw)
			} else {
				b = appendVia(b, gw) // an IPv4 route through an IPv6 next hop (v4-via-v6)
			}
		}
		if r.Ifindex != 0 {
			b = appendUint32(b, unix.RTA_OIF, uint32(r.Ifindex))
		}
		if r.PrefSrc.IsValid() {
			b = appendAddr(b, unix.RTA_PREFSRC, r.PrefSrc.Unmap())
		}
	}
	if r.Metric != 0 {
		b = appendUint32(b, unix.RTA_PRIORITY, r.Metric)
	}
	binary.NativeEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

func appendAddr(b []byte, typ uint16, a netip.Addr) []byte {
	if a.Is4() {
		v := a.As4()
		return appendAttr(b, typ, v[:])
	}
	v := a.As16()
	return appendAttr(b, typ, v[:])
}

// appendVia appends RTA_VIA (struct rtvia): the family, then the address.
func appendVia(b []byte, gw netip.Addr) []byte {
	if gw.Is4() {
		a := gw.As4()
		return appendAttr(b, unix.RTA_VIA, append(binary.NativeEndian.AppendUint16(make([]byte, 0, 6), unix.AF_INET), a[:]...))
	}
	a := gw.As16()
	return appendAttr(b, unix.RTA_VIA, append(binary.NativeEndian.AppendUint16(make([]byte, 0, 18), unix.AF_INET6), a[:]...))
}

func appendUint32(b []byte, typ uint16, x uint32) []byte {
	var v [4]byte
	binary.NativeEndian.PutUint32(v[:], x)
	return appendAttr(b, typ, v[:])
}

func appendAttr(b []byte, typ uint16, v []byte) []byte {
	l := unix.SizeofRtAttr + len(v)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for range nlmsgAlign(l) - l {
		b = append(b, 0)
	}
	return b
}
