package babelctl

import (
	"encoding/binary"
	"net/netip"
	"time"

	"re6st-tui/routing/babel"
)

const maxItems = 0xFFFF

// channelNonInterfering is the channel babeld reports for wired and tunnel
// interfaces.
var channelNonInterfering int32 = -2

// AppendDump appends the body of a dump answer to b: four arrays, each a
// u16 count and its items (interfaces, neighbours, xroutes, routes), the
// ones flags does not ask for empty. Only installed routes are dumped, and
// no array holds more than its count can say (65,535 items).
func AppendDump(b []byte, snap babel.Snapshot, flags byte) []byte {
	snap.Interfaces = snap.Interfaces[:min(len(snap.Interfaces), maxItems)]
	snap.Neighbours = snap.Neighbours[:min(len(snap.Neighbours), maxItems)]
	snap.Xroutes = snap.Xroutes[:min(len(snap.Xroutes), maxItems)]
	index := make(map[string]int, len(snap.Interfaces))
	up := make(map[string]bool, len(snap.Interfaces))
	for _, ifc := range snap.Interfaces {
		index[ifc.Name], up[ifc.Name] = ifc.Index, ifc.Up
	}

	if flags&DumpInterfaces == 0 {
		b = binary.BigEndian.AppendUint16(b, 0)
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(len(snap.Interfaces)))
		for _, ifc := range snap.Interfaces {
			b = binary.BigEndian.AppendUint32(b, uint32(ifc.Index))
			b = append(b, ifc.Name...)
			b = append(b, 0)
		}
	}

	if flags&DumpNeighbours == 0 {
		b = binary.BigEndian.AppendUint16(b, 0)
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(len(snap.Neighbours)))
		for _, n := range snap.Neighbours {
			b = appendAddr(b, n.Addr)
			b = binary.BigEndian.AppendUint32(b, uint32(index[n.Iface]))
			b = binary.BigEndian.AppendUint16(b, n.Reach)
			b = binary.BigEndian.AppendUint16(b, n.RxCost)
			b = binary.BigEndian.AppendUint16(b, n.TxCost)
			b = binary.BigEndian.AppendUint16(b, uint16(min(n.RTT/time.Millisecond, 0xFFFF)))
			b = binary.BigEndian.AppendUint16(b, n.RTTCost)
			b = binary.BigEndian.AppendUint32(b, uint32(channelNonInterfering))
			b = binary.BigEndian.AppendUint16(b, boolU16(up[n.Iface]))
			b = binary.BigEndian.AppendUint16(b, n.Multiplier)
		}
	}

	if flags&DumpXroutes == 0 {
		b = binary.BigEndian.AppendUint16(b, 0)
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(len(snap.Xroutes)))
		for _, x := range snap.Xroutes {
			b = appendPrefix(b, x.Prefix)
			b = binary.BigEndian.AppendUint16(b, x.Metric)
		}
	}

	if flags&DumpRoutes == 0 {
		return binary.BigEndian.AppendUint16(b, 0)
	}
	count := 0
	for _, r := range snap.Routes {
		if r.Installed && count < maxItems {
			count++
		}
	}
	b = binary.BigEndian.AppendUint16(b, uint16(count))
	for _, r := range snap.Routes {
		if !r.Installed || count == 0 {
			continue
		}
		count--
		b = appendPrefix(b, r.Prefix)
		b = binary.BigEndian.AppendUint16(b, r.Metric)
		b = binary.BigEndian.AppendUint16(b, r.Metric) // smoothed: we select on the metric itself
		b = binary.BigEndian.AppendUint16(b, r.RefMetric)
		b = append(b, r.RouterID[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(r.Seqno))
		b = binary.BigEndian.AppendUint32(b, uint32(int32(min(r.Age/time.Second, 1<<31-1))))
		b = binary.BigEndian.AppendUint32(b, uint32(index[r.Iface]))
		b = appendAddr(b, r.Via) // the neighbour
		b = appendAddr(b, r.Via) // and the next hop: re6st takes them to be the same
		b = append(b, 1)         // installed
	}
	return b
}

// appendAddr appends a as 16 bytes, IPv4 v4-mapped.
func appendAddr(b []byte, a netip.Addr) []byte {
	a16 := a.As16()
	return append(b, a16[:]...)
}

// appendPrefix appends p as babeld keeps it: 16 bytes and a length, IPv4
// v4-mapped (::ffff:0:0/96 plus its length).
func appendPrefix(b []byte, p netip.Prefix) []byte {
	b = appendAddr(b, p.Addr())
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	return append(b, byte(bits))
}

func boolU16(v bool) uint16 {
	if v {
		return 1
	}
	return 0
}
