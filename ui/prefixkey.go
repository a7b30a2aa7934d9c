package ui

import (
	"encoding/binary"
	"net/netip"
)

// pkey is a prefix as plain integers: hashing and comparing it is several
// times cheaper than netip.Prefix, which matters when ten thousand routes
// are keyed and sorted. The zero pkey stands for both "no prefix" and
// ::/0, as source prefixes use them alike; IPv4 prefixes are keyed apart
// from IPv6 ones (0.0.0.0/0 is not ::/0) and order after them.
type pkey struct {
	v4     bool
	hi, lo uint64
	bits   int
}

func keyOf(p netip.Prefix) pkey {
	if !p.IsValid() {
		return pkey{}
	}
	if p.Addr().Is4() {
		a := p.Addr().As4()
		return pkey{v4: true, lo: uint64(binary.BigEndian.Uint32(a[:])), bits: p.Bits()}
	}
	if p.Bits() == 0 {
		return pkey{}
	}
	a := p.Addr().As16()
	return pkey{hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]), bits: p.Bits()}
}

// srcKeyOf keys a source prefix: none and any /0 are the same, no
// source at all, whatever the family.
func srcKeyOf(p netip.Prefix) pkey {
	if !p.IsValid() || p.Bits() == 0 {
		return pkey{}
	}
	return keyOf(p)
}

// compare orders IPv6 before IPv4, then by address, then length.
func (k pkey) compare(o pkey) int {
	switch {
	case k.v4 != o.v4:
		if o.v4 {
			return -1
		}
		return 1
	case k.hi != o.hi:
		return cmpU(k.hi, o.hi)
	case k.lo != o.lo:
		return cmpU(k.lo, o.lo)
	}
	return k.bits - o.bits
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}
