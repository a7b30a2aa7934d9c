package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// ErrFull means the TLV does not fit in this packet (or it is a second
// Hello): send the packet and add the TLV to a fresh one.
var ErrFull = errors.New("babel packet full")

// Writer builds one packet. It keeps the sender-side parser state (router-id,
// IPv4 next hop, default prefix) so Updates are emitted as babeld emits them:
// at most one sub-TLV per TLV, never padding.
type Writer struct {
	buf   []byte
	limit int
	st    writerState
}

type writerState struct {
	rid     RouterID
	haveRID bool
	nh4     netip.Addr
	def6    [16]byte
	haveDef bool
	hello   bool
}

// NewWriter returns a Writer for packets of at most limit bytes (header and
// body; the caller reserves room for a PC and a MAC trailer itself).
func NewWriter(limit int) *Writer {
	w := &Writer{limit: limit}
	w.Reset()
	return w
}

// Reset empties the packet and forgets the parser state.
func (w *Writer) Reset() {
	w.buf = append(w.buf[:0], Magic, Version, 0, 0)
	w.st = writerState{}
}

// Empty reports whether no TLV was added.
func (w *Writer) Empty() bool { return len(w.buf) == HeaderLen }

// Len is the current packet length.
func (w *Writer) Len() int { return len(w.buf) }

// HasHello reports whether the packet holds a Hello.
func (w *Writer) HasHello() bool { return w.st.hello }

// Add appends t. It returns ErrFull, leaving the packet unchanged, when t
// does not fit; other errors mean t cannot be encoded at all.
func (w *Writer) Add(t TLV) error {
	save, n := w.st, len(w.buf)
	err := w.add(t)
	if err == nil && len(w.buf) > w.limit {
		err = ErrFull
	}
	if err != nil {
		w.st, w.buf = save, w.buf[:n]
	}
	return err
}

// Bytes finalises the body length and returns the packet (header and body).
// If pc is not nil it is appended as the last body TLV, beyond the limit
// (the caller reserved room for it).
func (w *Writer) Bytes(pc *PC) []byte {
	if pc != nil {
		w.buf = appendPC(w.buf, pc)
	}
	binary.BigEndian.PutUint16(w.buf[2:], uint16(len(w.buf)-HeaderLen))
	return w.buf
}

func appendPC(b []byte, pc *PC) []byte {
	b = append(b, typePC, byte(4+len(pc.Index)))
	b = binary.BigEndian.AppendUint32(b, pc.Counter)
	return append(b, pc.Index...)
}

func (w *Writer) add(t TLV) error {
	b := w.buf
	switch t := t.(type) {
	case Hello:
		if w.st.hello {
			return ErrFull
		}
		w.st.hello = true
		n := 6
		if t.HasTimestamp {
			n += 6
		}
		b = append(b, typeHello, byte(n))
		b = be16s(b, t.Flags, t.Seqno, t.Interval)
		if t.HasTimestamp {
			b = append(b, subTimestamp, 4)
			b = binary.BigEndian.AppendUint32(b, t.Timestamp)
		}
	case IHU:
		ae, addr := encodeAddress(t.Addr)
		n := 6 + len(addr)
		if t.HasTimestamp {
			n += 10
		}
		b = append(b, typeIHU, byte(n), ae, 0)
		b = be16s(b, t.RxCost, t.Interval)
		b = append(b, addr...)
		if t.HasTimestamp {
			b = append(b, subTimestamp, 8)
			b = binary.BigEndian.AppendUint32(b, t.Origin)
			b = binary.BigEndian.AppendUint32(b, t.Receive)
		}
	case RouterIDTLV:
		b = append(b, typeRouterID, 10, 0, 0)
		b = append(b, t.ID[:]...)
		w.st.rid, w.st.haveRID = t.ID, true
	case NextHop:
		ae, addr := encodeAddress(t.Addr)
		if ae == aeWildcard {
			return fmt.Errorf("next hop %v: need an address", t.Addr)
		}
		b = append(b, typeNextHop, byte(2+len(addr)), ae, 0)
		b = append(b, addr...)
		if t.Addr.Is4() {
			w.st.nh4 = t.Addr
		}
	case Update:
		w.buf = b
		return w.update(t)
	case RouteRequest:
		ae, pfx := encodePrefix(t.Prefix, 0)
		sub := srcSub(t.Prefix, t.Src)
		b = append(b, typeRouteReq, byte(2+len(pfx)+len(sub)), ae, byte(t.Prefix.Bits()&0xff))
		if ae == aeWildcard {
			b[len(b)-1] = 0
		}
		b = append(append(b, pfx...), sub...)
	case SeqnoRequest:
		ae, pfx := encodePrefix(t.Prefix, 0)
		if ae == aeWildcard {
			return errors.New("seqno request needs a prefix")
		}
		sub := srcSub(t.Prefix, t.Src)
		b = append(b, typeSeqnoReq, byte(14+len(pfx)+len(sub)), ae, byte(t.Prefix.Bits()))
		b = be16s(b, t.Seqno)
		b = append(b, t.HopCount, 0)
		b = append(b, t.RouterID[:]...)
		b = append(append(b, pfx...), sub...)
	case AckRequest:
		b = append(b, typeAckReq, 6, 0, 0)
		b = be16s(b, t.Nonce, t.Interval)
	case Ack:
		b = append(b, typeAck, 2)
		b = be16s(b, t.Nonce)
	case PC:
		b = appendPC(b, &t)
	case ChallengeRequest:
		b = append(append(b, typeChallengeReq, byte(len(t.Nonce))), t.Nonce...)
	case ChallengeReply:
		b = append(append(b, typeChallengeRep, byte(len(t.Nonce))), t.Nonce...)
	default:
		return fmt.Errorf("cannot encode %T", t)
	}
	w.buf = b
	return nil
}

func (w *Writer) update(u Update) error {
	if u.Wildcard() {
		w.buf = append(w.buf, typeUpdate, 10, aeWildcard, 0, 0, 0)
		w.buf = be16s(w.buf, 0xFFFF, u.Seqno, Infinity)
		w.st.haveRID = false
		return nil
	}
	if u.Metric != Infinity && !u.HasRouterID {
		return fmt.Errorf("update for %v: a finite metric needs a router-id", u.Prefix)
	}
	if u.HasRouterID && (!w.st.haveRID || w.st.rid != u.RouterID) {
		if err := w.add(RouterIDTLV{ID: u.RouterID}); err != nil {
			return err
		}
	}
	is4 := u.Prefix.Addr().Is4()
	ae := byte(aeIPv6)
	if is4 {
		ae = aeV4viaV6
		if u.NextHop.Is4() {
			ae = aeIPv4
			if w.st.nh4 != u.NextHop {
				if err := w.add(NextHop{Addr: u.NextHop}); err != nil {
					return err
				}
			}
		}
	}
	var flags byte
	omitted := 0
	a16 := u.Prefix.Addr().As16()
	if !is4 {
		if w.st.haveDef {
			for omitted < u.Prefix.Bits()/8 && a16[omitted] == w.st.def6[omitted] {
				omitted++
			}
		}
		if !w.st.haveDef || u.Prefix.Bits() >= 48 {
			flags |= flagDefaultPrefix
		}
	}
	_, pfx := encodePrefix(u.Prefix, omitted)
	sub := srcSub(u.Prefix, u.Src)
	w.buf = append(w.buf, typeUpdate, byte(10+len(pfx)+len(sub)), ae, flags, byte(u.Prefix.Bits()), byte(omitted))
	w.buf = be16s(w.buf, u.Interval, u.Seqno, u.Metric)
	w.buf = append(append(w.buf, pfx...), sub...)
	if flags&flagDefaultPrefix != 0 {
		w.st.def6, w.st.haveDef = a16, true
	}
	return nil
}

func be16s(b []byte, vs ...uint16) []byte {
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

// encodeAddress picks the AE: link-local IPv6 as AE 3, other IPv6 AE 2, IPv4 AE 1.
func encodeAddress(a netip.Addr) (byte, []byte) {
	switch {
	case !a.IsValid():
		return aeWildcard, nil
	case a.Is4():
		b := a.As4()
		return aeIPv4, b[:]
	default:
		b := a.As16()
		if b[0] == 0xfe && b[1] == 0x80 && b[2]|b[3]|b[4]|b[5]|b[6]|b[7] == 0 {
			return aeLinkLocal, b[8:]
		}
		return aeIPv6, b[:]
	}
}

// encodePrefix returns the AE and the prefix bytes beyond omitted.
func encodePrefix(p netip.Prefix, omitted int) (byte, []byte) {
	if !p.IsValid() {
		return aeWildcard, nil
	}
	pb := (p.Bits() + 7) / 8
	if p.Addr().Is4() {
		a := p.Masked().Addr().As4()
		return aeIPv4, a[min(omitted, pb):pb]
	}
	a := p.Masked().Addr().As16()
	return aeIPv6, a[min(omitted, pb):pb]
}

// srcSub encodes a Source Prefix sub-TLV, or nothing for a non-specific route.
func srcSub(dst, src netip.Prefix) []byte {
	if !dst.IsValid() || !src.IsValid() || src.Bits() == 0 {
		return nil
	}
	_, b := encodePrefix(src, 0)
	return append([]byte{subSrcPrefix, byte(1 + len(b)), byte(src.Bits())}, b...)
}
