package ui

import (
	"encoding/binary"
	"net/netip"
)

// pkey is a prefix as plain integers: hashing and comparing it is several
// times cheaper than netip.Prefix, which matters when ten thousand routes
// are keyed and sorted on every rebuild. The zero pkey stands for both
// "no prefix" and ::/0, as source prefixes use them alike.
type pkey struct {
	hi, lo uint64
	bits   int
}

func keyOf(p netip.Prefix) pkey {
	if !p.IsValid() || p.Bits() == 0 {
		return pkey{}
	}
	a := p.Addr().As16()
	return pkey{binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(a[8:]), p.Bits()}
}

// compare orders by address, then length.
func (k pkey) compare(o pkey) int {
	switch {
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
