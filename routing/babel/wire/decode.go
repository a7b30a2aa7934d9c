package wire

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Errors for whole packets.
var (
	ErrShort   = errors.New("babel packet shorter than its 4-byte header")
	ErrMagic   = errors.New("not a babel packet: bad magic")
	ErrVersion = errors.New("babel packet of an unsupported version")
)

// Packet is a decoded datagram.
type Packet struct {
	TLVs []TLV
	// Drops lists the TLVs that were ignored, in order.
	Drops []DropStat
	// Truncated is set when the header's body length exceeds the datagram.
	Truncated bool
	// Signed is the header and body as received: what a MAC covers.
	Signed []byte
	// MACs are the MAC TLV bodies found in the trailer.
	MACs [][]byte
	// PC is the first PC TLV of the body, if any.
	PC *PC
}

// maxTLVs bounds the decoded TLVs; a 64 KiB datagram can hold at most this many
// non-padding TLVs (2 bytes each), so it only guards the allocation.
const maxTLVs = 32768

// Decode parses one datagram. It returns an error only when the packet as a
// whole is not Babel; everything else is dropped TLV by TLV.
func Decode(b []byte) (*Packet, error) {
	if len(b) < HeaderLen {
		return nil, ErrShort
	}
	if b[0] != Magic {
		return nil, ErrMagic
	}
	if b[1] != Version {
		return nil, ErrVersion
	}
	p := &Packet{}
	bodyLen := int(binary.BigEndian.Uint16(b[2:]))
	if HeaderLen+bodyLen > len(b) {
		p.Truncated = true
		bodyLen = len(b) - HeaderLen
	}
	p.Signed = b[:HeaderLen+bodyLen]
	p.MACs = trailerMACs(b[HeaderLen+bodyLen:])
	var st parseState
	body := b[HeaderLen : HeaderLen+bodyLen]
	for i := 0; i < len(body); {
		typ := body[i]
		if typ == typePad1 {
			i++
			continue
		}
		if i+2 > len(body) || i+2+int(body[i+1]) > len(body) {
			p.Drops = append(p.Drops, DropStat{typ, DropTruncated})
			break
		}
		v := body[i+2 : i+2+int(body[i+1])]
		i += 2 + len(v)
		t, d := st.tlv(typ, v)
		if d != nil {
			p.Drops = append(p.Drops, DropStat{typ, *d})
			continue
		}
		if t == nil || len(p.TLVs) >= maxTLVs {
			continue
		}
		if pc, ok := t.(PC); ok {
			if p.PC != nil {
				continue // only the first PC counts
			}
			p.PC = &pc
		}
		p.TLVs = append(p.TLVs, t)
	}
	return p, nil
}

// trailerMACs walks the trailer as babeld does: type,len pairs, MAC TLVs kept.
func trailerMACs(t []byte) [][]byte {
	var macs [][]byte
	for i := 0; i+2 <= len(t); {
		n := int(t[i+1])
		if i+2+n > len(t) {
			break
		}
		if t[i] == typeMAC && len(macs) < 16 {
			macs = append(macs, t[i+2:i+2+n])
		}
		i += 2 + n
	}
	return macs
}

// parseState is babeld's per-packet parser state (§2.5 of the interop guide).
type parseState struct {
	rid     RouterID
	haveRID bool
	nh4     netip.Addr
	nh6     netip.Addr
	def     [5][16]byte // default prefix per AE
	haveDef [5]bool
}

func drop(d Drop) *Drop { return &d }

func (st *parseState) tlv(typ byte, v []byte) (TLV, *Drop) {
	switch typ {
	case typePadN:
		return nil, nil
	case typeAckReq:
		if len(v) < 6 {
			return nil, drop(DropShort)
		}
		return AckRequest{Nonce: be16(v[2:]), Interval: be16(v[4:])}, nil
	case typeAck:
		if len(v) < 2 {
			return nil, drop(DropShort)
		}
		return Ack{Nonce: be16(v)}, nil
	case typeHello:
		return decodeHello(v)
	case typeIHU:
		return decodeIHU(v)
	case typeRouterID:
		if len(v) < 10 {
			return nil, drop(DropShort)
		}
		copy(st.rid[:], v[2:10])
		st.haveRID = true // parser state survives a bad sub-TLV
		if _, d := subTLVs(v[10:], nil); d != nil {
			return nil, d
		}
		return RouterIDTLV{ID: st.rid}, nil
	case typeNextHop:
		return st.nextHop(v)
	case typeUpdate:
		return st.update(v)
	case typeRouteReq:
		return decodeRouteRequest(v)
	case typeSeqnoReq:
		return decodeSeqnoRequest(v)
	case typePC:
		if len(v) < 4 || len(v) > 36 {
			return nil, drop(DropBadLength)
		}
		return PC{Counter: binary.BigEndian.Uint32(v), Index: clone(v[4:])}, nil
	case typeChallengeReq, typeChallengeRep:
		if len(v) > 192 {
			return nil, drop(DropBadLength)
		}
		if typ == typeChallengeReq {
			return ChallengeRequest{Nonce: clone(v)}, nil
		}
		return ChallengeReply{Nonce: clone(v)}, nil
	case typeMAC:
		return nil, nil // only meaningful in the trailer
	}
	return nil, drop(DropUnknownTLV)
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func decodeHello(v []byte) (TLV, *Drop) {
	if len(v) < 6 {
		return nil, drop(DropShort)
	}
	h := Hello{Flags: be16(v), Seqno: be16(v[2:]), Interval: be16(v[4:])}
	d := walkSub(v[6:], func(t byte, s []byte) *Drop {
		if t == subTimestamp && !h.HasTimestamp {
			if len(s) < 4 {
				return drop(DropBadSubTLV)
			}
			h.HasTimestamp, h.Timestamp = true, binary.BigEndian.Uint32(s)
			return nil
		}
		return unknownSub(t)
	})
	if d != nil {
		return nil, d
	}
	return h, nil
}

func decodeIHU(v []byte) (TLV, *Drop) {
	if len(v) < 6 {
		return nil, drop(DropShort)
	}
	ihu := IHU{RxCost: be16(v[2:]), Interval: be16(v[4:])}
	addr, n, d := decodeAddress(v[0], v[6:])
	if d != nil {
		return nil, d
	}
	ihu.Addr = addr
	d = walkSub(v[6+n:], func(t byte, s []byte) *Drop {
		if t == subTimestamp && !ihu.HasTimestamp {
			if len(s) < 8 {
				return drop(DropBadSubTLV)
			}
			ihu.HasTimestamp = true
			ihu.Origin = binary.BigEndian.Uint32(s)
			ihu.Receive = binary.BigEndian.Uint32(s[4:])
			return nil
		}
		return unknownSub(t)
	})
	if d != nil {
		return nil, d
	}
	return ihu, nil
}

// decodeAddress reads an address of encoding ae; AE 0 yields the invalid Addr.
func decodeAddress(ae byte, b []byte) (netip.Addr, int, *Drop) {
	switch ae {
	case aeWildcard:
		return netip.Addr{}, 0, nil
	case aeIPv4:
		if len(b) < 4 {
			return netip.Addr{}, 0, drop(DropShort)
		}
		return netip.AddrFrom4([4]byte(b[:4])), 4, nil
	case aeIPv6:
		if len(b) < 16 {
			return netip.Addr{}, 0, drop(DropShort)
		}
		return netip.AddrFrom16([16]byte(b[:16])), 16, nil
	case aeLinkLocal:
		if len(b) < 8 {
			return netip.Addr{}, 0, drop(DropShort)
		}
		var a [16]byte
		a[0], a[1] = 0xfe, 0x80
		copy(a[8:], b[:8])
		return netip.AddrFrom16(a), 8, nil
	}
	return netip.Addr{}, 0, drop(DropBadAE)
}

func (st *parseState) nextHop(v []byte) (TLV, *Drop) {
	if len(v) < 2 {
		return nil, drop(DropShort)
	}
	if v[0] == aeWildcard || v[0] == aeV4viaV6 {
		return nil, drop(DropBadAE)
	}
	a, n, d := decodeAddress(v[0], v[2:])
	if d != nil {
		return nil, d
	}
	if a.Is4() {
		st.nh4 = a
	} else {
		st.nh6 = a
	}
	if _, d := subTLVs(v[2+n:], nil); d != nil {
		return nil, d
	}
	return NextHop{Addr: a}, nil
}

// maxPlen is the longest prefix an AE can carry.
func maxPlen(ae byte) int {
	if ae == aeIPv4 || ae == aeV4viaV6 {
		return 32
	}
	return 128
}

// decodePrefix rebuilds a (possibly compressed) prefix; def is the default prefix of
// the AE or nil. It returns the prefix and the number of bytes consumed.
func decodePrefix(ae byte, plen, omitted int, b []byte, def *[16]byte) (netip.Prefix, int, *Drop) {
	if ae == aeWildcard {
		if omitted != 0 {
			return netip.Prefix{}, 0, drop(DropBadPrefix)
		}
		return netip.Prefix{}, 0, nil
	}
	if ae != aeIPv4 && ae != aeIPv6 && ae != aeV4viaV6 {
		return netip.Prefix{}, 0, drop(DropBadAE)
	}
	size := 16
	if ae != aeIPv6 {
		size = 4
	}
	if plen > maxPlen(ae) || omitted > size || (omitted > 0 && def == nil) {
		return netip.Prefix{}, 0, drop(DropBadPrefix)
	}
	pb := (plen + 7) / 8
	n := max(pb-omitted, 0)
	if n > len(b) {
		return netip.Prefix{}, 0, drop(DropShort)
	}
	var a [16]byte
	if omitted > 0 {
		copy(a[:omitted], def[:omitted])
	}
	copy(a[omitted:], b[:n])
	var addr netip.Addr
	if size == 4 {
		addr = netip.AddrFrom4([4]byte(a[:4]))
	} else {
		addr = netip.AddrFrom16(a)
	}
	return netip.PrefixFrom(addr, plen).Masked(), n, nil
}

// decodeSrcPrefix decodes a Source Prefix sub-TLV body for a destination of family ae.
func decodeSrcPrefix(ae byte, s []byte) (netip.Prefix, *Drop) {
	if len(s) < 1 {
		return netip.Prefix{}, drop(DropBadSubTLV)
	}
	p, _, d := decodePrefix(ae, int(s[0]), 0, s[1:], nil)
	if d != nil {
		return netip.Prefix{}, drop(DropBadSubTLV)
	}
	return p, nil
}

func (st *parseState) update(v []byte) (TLV, *Drop) {
	if len(v) < 10 {
		return nil, drop(DropShort)
	}
	ae, flags, plen, omitted := v[0], v[1], int(v[2]), int(v[3])
	u := Update{Flags: flags, Interval: be16(v[4:]), Seqno: be16(v[6:]), Metric: be16(v[8:])}
	if ae == aeLinkLocal || ae > aeV4viaV6 {
		return nil, drop(DropBadAE)
	}
	var def *[16]byte
	if st.haveDef[ae] {
		def = &st.def[ae]
	}
	pfx, n, d := decodePrefix(ae, plen, omitted, v[10:], def)
	if d != nil {
		return nil, d
	}
	u.Prefix = pfx
	// Parser-state effects come before the sub-TLVs are examined (RFC 8966 4.6.9).
	if ae != aeWildcard && flags&flagDefaultPrefix != 0 {
		st.def[ae] = pfx.Addr().As16()
		if pfx.Addr().Is4() {
			a4 := pfx.Addr().As4()
			st.def[ae] = [16]byte{}
			copy(st.def[ae][:], a4[:])
		}
		st.haveDef[ae] = true
	}
	if ae != aeWildcard && flags&flagRouterID != 0 {
		st.rid = routerIDFromPrefix(pfx)
		st.haveRID = true
	}
	if ae == aeWildcard {
		st.haveRID = false // babeld forgets the router-id after a wildcard retraction
	}
	u.V4viaV6 = ae == aeV4viaV6
	var src netip.Prefix
	d = walkSub(v[10+n:], func(t byte, s []byte) *Drop {
		switch t {
		case subSrcPrefix:
			if src.IsValid() {
				return drop(DropSrcPrefix)
			}
			p, d := decodeSrcPrefix(ae, s)
			if d != nil {
				return d
			}
			if p.Bits() == 0 {
				return drop(DropSrcPrefix)
			}
			src = p
			return nil
		case subDiversity:
			return nil
		}
		return unknownSub(t)
	})
	if d != nil {
		return nil, d
	}
	if ae == aeWildcard {
		if u.Metric != Infinity || src.IsValid() {
			return nil, drop(DropWildcard)
		}
		return u, nil
	}
	u.Src = SrcOrZero(pfx, src)
	if st.haveRID {
		u.HasRouterID, u.RouterID = true, st.rid
	} else if u.Metric != Infinity {
		return nil, drop(DropNoRouterID)
	}
	switch {
	case ae == aeIPv4:
		if !st.nh4.IsValid() && u.Metric != Infinity {
			return nil, drop(DropNoNextHop)
		}
		u.NextHop = st.nh4
	default:
		u.NextHop = st.nh6
	}
	return u, nil
}

// routerIDFromPrefix implements the R flag: the low 64 bits of the prefix
// (for IPv4, four zero bytes then the address).
func routerIDFromPrefix(p netip.Prefix) RouterID {
	var r RouterID
	if p.Addr().Is4() {
		a := p.Addr().As4()
		copy(r[4:], a[:])
		return r
	}
	a := p.Addr().As16()
	copy(r[:], a[8:])
	return r
}

func decodeRouteRequest(v []byte) (TLV, *Drop) {
	if len(v) < 2 {
		return nil, drop(DropShort)
	}
	ae := v[0]
	if ae == aeLinkLocal {
		return nil, drop(DropBadAE)
	}
	pfx, n, d := decodePrefix(ae, int(v[1]), 0, v[2:], nil)
	if d != nil {
		return nil, d
	}
	src, d := requestSrc(ae, v[2+n:], true)
	if d != nil {
		return nil, d
	}
	if ae == aeWildcard {
		if src.IsValid() {
			return nil, drop(DropSrcPrefix)
		}
		return RouteRequest{}, nil
	}
	return RouteRequest{Prefix: pfx, Src: SrcOrZero(pfx, src)}, nil
}

// requestSrc walks a request's sub-TLVs for a Source Prefix. zeroIsError
// rejects src-plen 0 (Route Request), which a Seqno Request accepts as non-specific.
func requestSrc(ae byte, b []byte, zeroIsError bool) (netip.Prefix, *Drop) {
	var src netip.Prefix
	d := walkSub(b, func(t byte, s []byte) *Drop {
		if t != subSrcPrefix {
			return unknownSub(t)
		}
		if src.IsValid() || ae == aeWildcard {
			return drop(DropSrcPrefix)
		}
		p, d := decodeSrcPrefix(ae, s)
		if d != nil {
			return d
		}
		if p.Bits() == 0 && zeroIsError {
			return drop(DropSrcPrefix)
		}
		src = p
		return nil
	})
	return src, d
}

func decodeSeqnoRequest(v []byte) (TLV, *Drop) {
	if len(v) < 14 {
		return nil, drop(DropShort)
	}
	ae := v[0]
	if ae == aeWildcard || ae == aeLinkLocal {
		return nil, drop(DropBadAE)
	}
	r := SeqnoRequest{Seqno: be16(v[2:]), HopCount: v[4]}
	copy(r.RouterID[:], v[6:14]) // v[5] is reserved; babeld puts the src plen there
	pfx, n, d := decodePrefix(ae, int(v[1]), 0, v[14:], nil)
	if d != nil {
		return nil, d
	}
	src, d := requestSrc(ae, v[14+n:], false)
	if d != nil {
		return nil, d
	}
	r.Prefix, r.Src = pfx, SrcOrZero(pfx, src)
	return r, nil
}

// walkSub iterates over sub-TLVs with the RFC rules: Pad1/PadN skipped, an
// overrun drops the TLV, fn decides on the others.
func walkSub(b []byte, fn func(t byte, s []byte) *Drop) *Drop {
	for i := 0; i < len(b); {
		t := b[i]
		if t == subPad1 {
			i++
			continue
		}
		if i+2 > len(b) || i+2+int(b[i+1]) > len(b) {
			return drop(DropBadSubTLV)
		}
		s := b[i+2 : i+2+int(b[i+1])]
		i += 2 + len(s)
		if t == subPadN {
			continue
		}
		if fn != nil {
			if d := fn(t, s); d != nil {
				return d
			}
		} else if d := unknownSub(t); d != nil {
			return d
		}
	}
	return nil
}

// subTLVs walks sub-TLVs of a TLV that knows none.
func subTLVs(b []byte, _ any) (struct{}, *Drop) { return struct{}{}, walkSub(b, nil) }

// unknownSub applies the mandatory bit: types >= 128 drop the enclosing TLV.
func unknownSub(t byte) *Drop {
	if t >= 128 {
		return drop(DropMandatory)
	}
	return nil
}
