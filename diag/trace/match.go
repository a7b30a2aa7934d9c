package trace

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

const protoICMPv6 = 58

// matcher recognises answers to this tracer's probes.
type matcher struct {
	mode    Mode
	dst     netip.Addr
	port    int    // UDP: first destination port
	srcPort uint16 // UDP: our socket's port
	ident   uint16 // ICMP: echo identifier
}

// answer is a parsed ICMPv6 message that answers one of our probes.
type answer struct {
	seq  uint16 // probe sequence number (port offset or echo seq)
	kind Kind
	code int
}

// match parses msg, an ICMPv6 message as read from a raw socket (no IPv6
// header), sent by from. It reports false for anything not ours, including
// malformed bytes.
func (m matcher) match(msg []byte, from netip.Addr) (answer, bool) {
	pm, err := icmp.ParseMessage(protoICMPv6, msg)
	if err != nil {
		return answer{}, false
	}
	switch pm.Type {
	case ipv6.ICMPTypeEchoReply:
		e, ok := pm.Body.(*icmp.Echo)
		if !ok || m.mode != ICMP || from != m.dst || uint16(e.ID) != m.ident {
			return answer{}, false
		}
		return answer{seq: uint16(e.Seq), kind: Reached}, true
	case ipv6.ICMPTypeTimeExceeded:
		b, ok := pm.Body.(*icmp.TimeExceeded)
		if !ok {
			return answer{}, false
		}
		seq, ok := m.quoted(b.Data)
		if !ok {
			return answer{}, false
		}
		return answer{seq: seq, kind: TimeExceeded}, true
	case ipv6.ICMPTypeDestinationUnreachable:
		b, ok := pm.Body.(*icmp.DstUnreach)
		if !ok {
			return answer{}, false
		}
		seq, ok := m.quoted(b.Data)
		if !ok {
			return answer{}, false
		}
		a := answer{seq: seq, kind: Unreachable, code: pm.Code}
		if pm.Code == 4 && from == m.dst { // port unreachable from the target
			a.kind = Reached
		}
		return a, true
	}
	return answer{}, false
}

// quoted finds our probe in the packet an ICMPv6 error quotes.
func (m matcher) quoted(pkt []byte) (uint16, bool) {
	h, err := ipv6.ParseHeader(pkt)
	if err != nil || h.Version != 6 {
		return 0, false
	}
	if d, ok := netip.AddrFromSlice(h.Dst); !ok || d != m.dst {
		return 0, false
	}
	next, rest, ok := skipExtensions(h.NextHeader, pkt[ipv6.HeaderLen:])
	if !ok || len(rest) < 8 {
		return 0, false
	}
	switch {
	case m.mode == UDP && next == 17:
		src, dst := binary.BigEndian.Uint16(rest[0:]), int(binary.BigEndian.Uint16(rest[2:]))
		if src != m.srcPort || dst < m.port || dst >= m.port+portSpan {
			return 0, false
		}
		return uint16(dst - m.port), true
	case m.mode == ICMP && next == protoICMPv6:
		if rest[0] != byte(ipv6.ICMPTypeEchoRequest) || binary.BigEndian.Uint16(rest[4:]) != m.ident {
			return 0, false
		}
		return binary.BigEndian.Uint16(rest[6:]), true
	}
	return 0, false
}

// skipExtensions walks past the IPv6 extension headers a probe may carry.
func skipExtensions(next int, b []byte) (int, []byte, bool) {
	for range 8 {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 {
				return 0, nil, false
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return 0, nil, false
			}
			next, b = int(b[0]), b[n:]
		case 44: // fragment: only the first fragment holds the transport header
			if len(b) < 8 || binary.BigEndian.Uint16(b[2:])&0xfff8 != 0 {
				return 0, nil, false
			}
			next, b = int(b[0]), b[8:]
		default:
			return next, b, true
		}
	}
	return 0, nil, false
}
