package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"

	"golang.org/x/crypto/blake2s"
)

// Algorithm is an RFC 8967 MAC algorithm.
type Algorithm uint8

// MAC algorithms babeld 1.12 implements.
const (
	HMACSHA256 Algorithm = iota + 1
	Blake2s128
)

// String gives the babeld config name.
func (a Algorithm) String() string {
	switch a {
	case HMACSHA256:
		return "hmac-sha256"
	case Blake2s128:
		return "blake2s128"
	}
	return "unknown"
}

// Key is a MAC key.
type Key struct {
	ID    string
	Alg   Algorithm
	Value []byte
}

// NewKey checks a key the way babeld does: blake2s128 takes 1–32 bytes,
// hmac-sha256 up to 64.
func NewKey(id string, alg Algorithm, value []byte) (Key, error) {
	switch alg {
	case Blake2s128:
		if len(value) < 1 || len(value) > blake2s.Size {
			return Key{}, fmt.Errorf("key %s: blake2s128 takes 1 to 32 bytes, got %d", id, len(value))
		}
	case HMACSHA256:
		if len(value) > 64 {
			return Key{}, fmt.Errorf("key %s: hmac-sha256 takes at most 64 bytes, got %d", id, len(value))
		}
	default:
		return Key{}, fmt.Errorf("key %s: unknown algorithm; use blake2s128 or hmac-sha256", id)
	}
	return Key{ID: id, Alg: alg, Value: append([]byte(nil), value...)}, nil
}

// Size is the MAC length in bytes.
func (k Key) Size() int {
	if k.Alg == Blake2s128 {
		return 16
	}
	return 32
}

// MAC computes the MAC of packet (header and body) sent from src to dst.
// The pseudo-header carries port 6696 twice whatever the real ports (§6.2).
func (k Key) MAC(src, dst netip.Addr, packet []byte) []byte {
	var h hash.Hash
	if k.Alg == Blake2s128 {
		var err error
		if h, err = blake2s.New128(k.Value); err != nil {
			return nil // NewKey rejected such keys
		}
	} else {
		h = hmac.New(sha256.New, k.Value)
	}
	s, d := src.As16(), dst.As16()
	var ph [36]byte
	copy(ph[:16], s[:])
	binary.BigEndian.PutUint16(ph[16:], Port)
	copy(ph[18:34], d[:])
	binary.BigEndian.PutUint16(ph[34:], Port)
	h.Write(ph[:])
	h.Write(packet)
	return h.Sum(nil)
}

// AppendMAC appends the MAC trailer TLV to packet.
func AppendMAC(packet []byte, k Key, src, dst netip.Addr) []byte {
	m := k.MAC(src, dst, packet)
	packet = append(packet, typeMAC, byte(len(m)))
	return append(packet, m...)
}

// TrailerSize is the room one MAC trailer of key k takes.
func TrailerSize(k Key) int { return 2 + k.Size() }

// Verify reports whether any trailer MAC matches one of keys.
func (p *Packet) Verify(src, dst netip.Addr, keys ...Key) bool {
	for _, k := range keys {
		want := k.MAC(src, dst, p.Signed)
		for _, m := range p.MACs {
			if len(m) == len(want) && subtle.ConstantTimeCompare(m, want) == 1 {
				return true
			}
		}
	}
	return false
}
