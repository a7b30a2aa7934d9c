package wire

import (
	"encoding/hex"
	"fmt"
	"net/netip"
)

// Protocol constants.
const (
	Magic   = 42
	Version = 2
	Port    = 6696
	// Infinity is the metric of a retraction and of an unusable link.
	Infinity = 0xFFFF
	// HeaderLen is the size of the packet header (magic, version, body length).
	HeaderLen = 4
)

// Group is the link-local multicast group Babel speakers join.
var Group = netip.MustParseAddr("ff02::1:6")

// TLV types.
const (
	typePad1         = 0
	typePadN         = 1
	typeAckReq       = 2
	typeAck          = 3
	typeHello        = 4
	typeIHU          = 5
	typeRouterID     = 6
	typeNextHop      = 7
	typeUpdate       = 8
	typeRouteReq     = 9
	typeSeqnoReq     = 10
	typeMAC          = 16
	typePC           = 17
	typeChallengeReq = 18
	typeChallengeRep = 19
)

// Sub-TLV types.
const (
	subPad1      = 0
	subPadN      = 1
	subDiversity = 2
	subTimestamp = 3
	subSrcPrefix = 128
)

// Address encodings.
const (
	aeWildcard  = 0
	aeIPv4      = 1
	aeIPv6      = 2
	aeLinkLocal = 3
	aeV4viaV6   = 4
)

// Hello flags.
const (
	// HelloUnicast marks a Hello sent by unicast; it has its own history.
	HelloUnicast = 0x8000
)

// Update flags.
const (
	flagDefaultPrefix = 0x80
	flagRouterID      = 0x40
)

// RouterID is a Babel router-id.
type RouterID [8]byte

// String formats the id like babeld: 02:00:00:00:00:00:00:0a.
func (r RouterID) String() string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 23)
	for i, v := range r {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, hexd[v>>4], hexd[v&15])
	}
	return string(b)
}

// ParseRouterID parses the babeld form (8 colon-separated hex bytes) or 16 hex digits.
func ParseRouterID(s string) (RouterID, error) {
	var r RouterID
	clean := make([]byte, 0, 16)
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			clean = append(clean, s[i])
		}
	}
	b, err := hex.DecodeString(string(clean))
	if err != nil || len(b) != 8 {
		return r, fmt.Errorf("router-id %q: want 8 hex bytes such as 02:00:00:00:00:00:00:0a", s)
	}
	copy(r[:], b)
	return r, nil
}

// TLV is one decoded TLV: one of the types below.
type TLV interface{ tlvType() byte }

// AckRequest asks the receiver for an Ack.
type AckRequest struct {
	Nonce    uint16
	Interval uint16 // cs
}

// Ack answers an AckRequest.
type Ack struct{ Nonce uint16 }

// Hello is a Hello TLV with its optional RFC 9616 timestamp.
type Hello struct {
	Flags        uint16
	Seqno        uint16
	Interval     uint16 // cs; 0 = unscheduled
	HasTimestamp bool
	Timestamp    uint32 // µs, sender's clock
}

// IHU is an "I Heard You" TLV.
type IHU struct {
	RxCost   uint16
	Interval uint16 // cs
	// Addr is the neighbour the IHU is about; invalid for AE 0 (any).
	Addr         netip.Addr
	HasTimestamp bool
	Origin       uint32 // echoed Hello timestamp
	Receive      uint32 // receiver's clock when that Hello arrived
}

// RouterIDTLV sets the router-id for the following Updates.
type RouterIDTLV struct{ ID RouterID }

// NextHop sets the next hop for the following Updates of its family.
type NextHop struct{ Addr netip.Addr }

// Update announces or retracts a route. Decoded Updates are resolved:
// Prefix is complete, RouterID and NextHop come from the parser state.
type Update struct {
	Flags    byte // P and R as received; ignored by the encoder
	Interval uint16
	Seqno    uint16
	Metric   uint16
	// Prefix is the destination; the zero Prefix means AE 0 (wildcard).
	Prefix netip.Prefix
	// Src is the source prefix (RFC 9079); Bits() == 0 means non-specific.
	Src         netip.Prefix
	HasRouterID bool
	RouterID    RouterID
	// NextHop is the next hop from a Next Hop TLV; invalid means the packet's source.
	NextHop netip.Addr
	// V4viaV6 is set for AE 4 Updates (IPv4 prefix, IPv6 next hop).
	V4viaV6 bool
}

// Wildcard reports whether u is an AE 0 Update (a wildcard retraction).
func (u *Update) Wildcard() bool { return !u.Prefix.IsValid() }

// RouteRequest asks for an Update; the zero Prefix is a wildcard request.
type RouteRequest struct {
	Prefix netip.Prefix
	Src    netip.Prefix
}

// Wildcard reports whether r asks for the full table.
func (r *RouteRequest) Wildcard() bool { return !r.Prefix.IsValid() }

// SeqnoRequest asks the originator for a newer seqno.
type SeqnoRequest struct {
	Seqno    uint16
	HopCount byte
	RouterID RouterID
	Prefix   netip.Prefix
	Src      netip.Prefix
}

// PC is the RFC 8967 packet counter with its index.
type PC struct {
	Counter uint32
	Index   []byte
}

// ChallengeRequest carries a nonce to be echoed.
type ChallengeRequest struct{ Nonce []byte }

// ChallengeReply echoes a nonce.
type ChallengeReply struct{ Nonce []byte }

func (AckRequest) tlvType() byte       { return typeAckReq }
func (Ack) tlvType() byte              { return typeAck }
func (Hello) tlvType() byte            { return typeHello }
func (IHU) tlvType() byte              { return typeIHU }
func (RouterIDTLV) tlvType() byte      { return typeRouterID }
func (NextHop) tlvType() byte          { return typeNextHop }
func (Update) tlvType() byte           { return typeUpdate }
func (RouteRequest) tlvType() byte     { return typeRouteReq }
func (SeqnoRequest) tlvType() byte     { return typeSeqnoReq }
func (PC) tlvType() byte               { return typePC }
func (ChallengeRequest) tlvType() byte { return typeChallengeReq }
func (ChallengeReply) tlvType() byte   { return typeChallengeRep }

// SrcOrZero returns p's family's zero-length prefix (::/0 or 0.0.0.0/0) when
// src is not valid, so that (dst, src) keys always have a valid source.
func SrcOrZero(dst, src netip.Prefix) netip.Prefix {
	if src.IsValid() {
		return src
	}
	if dst.Addr().Is4() {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.PrefixFrom(netip.IPv6Unspecified(), 0)
}
