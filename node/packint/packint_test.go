package packint

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// Vectors from the protocol reference (§3.2).
var vectors = []struct {
	v   uint64
	hex string
}{
	{0, "00"}, {1, "01"}, {10, "0a"}, {31, "1f"}, {32, "2000"}, {33, "2001"},
	{300, "210c"}, {8223, "3fff"}, {8224, "400000"}, {2105376, "60000000"},
	{Max, "ffffffffffffffff"},
}

func TestVectors(t *testing.T) {
	for _, tc := range vectors {
		got, err := Encode(tc.v)
		if err != nil {
			t.Fatalf("Encode(%d): %v", tc.v, err)
		}
		if hex.EncodeToString(got) != tc.hex {
			t.Errorf("Encode(%d) = %x, want %s", tc.v, got, tc.hex)
		}
		raw, _ := hex.DecodeString(tc.hex)
		v, n, err := Decode(append(raw, 0x55))
		if err != nil || v != tc.v || n != len(raw) {
			t.Errorf("Decode(%s) = %d, %d, %v; want %d, %d", tc.hex, v, n, err, tc.v, len(raw))
		}
	}
}

func TestRangeEdges(t *testing.T) {
	if _, err := Encode(Max + 1); err == nil {
		t.Fatal("Encode(Max+1) succeeded")
	}
	if _, _, err := Decode([]byte{0x40, 0}); err != ErrShort {
		t.Fatalf("truncated: got %v", err)
	}
	if _, _, err := Decode(nil); err != ErrShort {
		t.Fatalf("empty: got %v", err)
	}
}

func TestOrderPreserving(t *testing.T) {
	prev, _ := Encode(0)
	for _, v := range []uint64{1, 31, 32, 255, 8223, 8224, 1 << 20, 2105375, 2105376, 1 << 40, Max} {
		cur, _ := Encode(v)
		if bytes.Compare(prev, cur) >= 0 {
			t.Fatalf("encoding of %d not greater than previous", v)
		}
		prev = cur
	}
}

func FuzzDecode(f *testing.F) {
	for _, tc := range vectors {
		raw, _ := hex.DecodeString(tc.hex)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := Decode(b)
		if err != nil {
			return
		}
		again, err := Encode(v)
		if err != nil {
			t.Fatalf("decoded %d cannot be re-encoded: %v", v, err)
		}
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("non-unique encoding: %x decodes to %d which encodes to %x", b[:n], v, again)
		}
	})
}
