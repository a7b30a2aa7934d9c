package packint

import (
	"errors"
	"fmt"
)

// Max is the largest value the encoding can carry (0x202020202020201f).
const Max uint64 = 0x202020202020201f

// ErrShort is returned when the input ends before the encoded integer does.
var ErrShort = errors.New("packint: truncated integer")

// span returns 32·256^n, the number of values an n+1 byte encoding holds.
func span(n int) uint64 { return 32 << (8 * uint(n)) }

// Append appends the encoding of v to dst. It fails only when v > Max.
func Append(dst []byte, v uint64) ([]byte, error) {
	for n := 0; n < 8; n++ {
		s := span(n)
		if v < s {
			u := v + uint64(n)*s
			for i := n; i >= 0; i-- {
				dst = append(dst, byte(u>>(8*uint(i))))
			}
			return dst, nil
		}
		v -= s
	}
	return dst, fmt.Errorf("packint: value exceeds %#x", Max)
}

// Encode returns the encoding of v; v must not exceed Max.
func Encode(v uint64) ([]byte, error) { return Append(nil, v) }

// Decode reads one integer from the start of b and returns it with the
// number of bytes it used.
func Decode(b []byte) (v uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, ErrShort
	}
	k := int(b[0] >> 5)
	if len(b) < k+1 {
		return 0, 0, ErrShort
	}
	var u uint64
	for _, c := range b[:k+1] {
		u = u<<8 | uint64(c)
	}
	v = u - uint64(k)*span(k)
	for i := 0; i < k; i++ {
		v += span(i)
	}
	return v, k + 1, nil
}
