package system

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"
)

// parseRoute decodes an RTM_NEWROUTE payload (rtmsg and attributes). names
// maps interface indexes to names. It reports false for anything that is
// not a well-formed IPv6 or IPv4 route.
func parseRoute(b []byte, names map[int]string) (Route, bool) {
	if len(b) < unix.SizeofRtMsg {
		return Route{}, false
	}
	family, dstLen, srcLen := b[0], int(b[1]), int(b[2])
	unspec := netip.IPv6Unspecified()
	switch {
	case family == unix.AF_INET && dstLen <= 32 && srcLen <= 32:
		unspec = netip.IPv4Unspecified()
	case family != unix.AF_INET6 || dstLen > 128 || srcLen > 128:
		return Route{}, false
	}
	r := Route{Table: int(b[4]), Proto: int(b[5]), Type: int(b[7])}
	r.Cloned = binary.NativeEndian.Uint32(b[8:12])&unix.RTM_F_CLONED != 0
	r.Dst = netip.PrefixFrom(unspec, dstLen)
	if srcLen > 0 {
		r.Src = netip.PrefixFrom(unspec, srcLen)
	}
	for a := b[unix.SizeofRtMsg:]; len(a) >= 4; {
		l, typ := int(binary.NativeEndian.Uint16(a)), int(binary.NativeEndian.Uint16(a[2:]))
		if l < 4 || l > len(a) {
			return Route{}, false
		}
		v := a[4:l]
		switch typ {
		case unix.RTA_DST:
			r.Dst = prefix(v, unspec, dstLen)
		case unix.RTA_SRC:
			r.Src = prefix(v, unspec, srcLen)
		case unix.RTA_GATEWAY:
			r.Via, _ = netip.AddrFromSlice(v)
		case unix.RTA_PREFSRC:
			r.PrefSrc, _ = netip.AddrFromSlice(v)
		case unix.RTA_OIF:
			if len(v) == 4 {
				r.Dev = names[int(binary.NativeEndian.Uint32(v))]
			}
		case unix.RTA_PRIORITY:
			if len(v) == 4 {
				r.Metric = int(binary.NativeEndian.Uint32(v))
			}
		case unix.RTA_TABLE:
			if len(v) == 4 {
				r.Table = int(binary.NativeEndian.Uint32(v))
			}
		}
		a = a[min(rtaAlign(l), len(a)):]
	}
	if !r.Dst.IsValid() || (srcLen > 0 && !r.Src.IsValid()) {
		return Route{}, false
	}
	return r, true
}

// prefix reads an address of the family of unspec.
func prefix(v []byte, unspec netip.Addr, bits int) netip.Prefix {
	a, ok := netip.AddrFromSlice(v)
	if !ok || a.Is4() != unspec.Is4() {
		return netip.Prefix{}
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return netip.Prefix{}
	}
	return p
}

func rtaAlign(l int) int { return (l + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

// encodeRoute builds the rtmsg and attributes that describe r; ifindex is
// r.Dev's index (0 for none).
func encodeRoute(r Route, ifindex int) []byte {
	b := make([]byte, unix.SizeofRtMsg)
	b[0] = unix.AF_INET6
	if r.Dst.Addr().Is4() {
		b[0] = unix.AF_INET
	}
	b[1] = byte(r.Dst.Bits())
	if r.HasSrc() {
		b[2] = byte(r.Src.Bits())
	}
	b[4] = unix.RT_TABLE_UNSPEC
	b[5] = byte(r.Proto)
	b[6] = unix.RT_SCOPE_UNIVERSE
	b[7] = byte(r.Type)
	if r.Type == 0 {
		b[7] = unix.RTN_UNICAST
	}
	attr := func(typ int, v []byte) {
		h := make([]byte, 4)
		binary.NativeEndian.PutUint16(h, uint16(4+len(v)))
		binary.NativeEndian.PutUint16(h[2:], uint16(typ))
		b = append(b, h...)
		b = append(b, v...)
		for len(b)%unix.RTA_ALIGNTO != 0 {
			b = append(b, 0)
		}
	}
	u32 := func(v int) []byte { return binary.NativeEndian.AppendUint32(nil, uint32(v)) }
	if r.Dst.Bits() > 0 {
		attr(unix.RTA_DST, r.Dst.Addr().AsSlice())
	}
	if r.HasSrc() {
		attr(unix.RTA_SRC, r.Src.Addr().AsSlice())
	}
	if r.Via.IsValid() {
		attr(unix.RTA_GATEWAY, r.Via.AsSlice())
	}
	if r.PrefSrc.IsValid() {
		attr(unix.RTA_PREFSRC, r.PrefSrc.AsSlice())
	}
	if ifindex > 0 {
		attr(unix.RTA_OIF, u32(ifindex))
	}
	attr(unix.RTA_PRIORITY, u32(r.Metric))
	table := r.Table
	if table == 0 {
		table = TableMain
	}
	attr(unix.RTA_TABLE, u32(table))
	return b
}
