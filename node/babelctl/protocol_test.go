package babelctl

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
)

// re6st's requests, as its Python node and registry write them.
var (
	dumpRequest = []byte{0, 1, 0, 0, 0, 1, 0x0b}
	costRequest = append([]byte{0, 2, 0, 0, 0, 22},
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, // address
		0, 0, 0, 7, // ifindex
		0x10, 0x00) // multiplier 4096
)

func TestReadRequest(t *testing.T) {
	r := bytes.NewReader(append(append([]byte{}, dumpRequest...), costRequest...))
	req, err := ReadRequest(r)
	if err != nil || req.Type != TypeDump || req.Flags != 0x0b {
		t.Fatalf("dump request: %+v, %v", req, err)
	}
	req, err = ReadRequest(r)
	want := Request{Type: TypeSetCostMultiplier, Addr: netip.MustParseAddr("fe80::2"), Ifindex: 7, Multiplier: 4096}
	if err != nil || req != want {
		t.Fatalf("cost multiplier request: %+v, %v; want %+v", req, err, want)
	}
	if _, err := ReadRequest(r); err != io.EOF {
		t.Errorf("after the last request: %v, want EOF", err)
	}
}

func TestReadRequestMalformed(t *testing.T) {
	for name, in := range map[string][]byte{
		"truncated header": {0, 1, 0},
		"truncated body":   {0, 2, 0, 0, 0, 22, 1, 2},
		"dump too long":    {0, 1, 0, 0, 0, 2, 0x0b, 0},
		"dump empty":       {0, 1, 0, 0, 0, 0},
		"cost too short":   {0, 2, 0, 0, 0, 1, 0},
		"unknown type":     {0, 9, 0, 0, 0, 0},
		"huge":             {0, 1, 0x7f, 0xff, 0xff, 0xff},
	} {
		if _, err := ReadRequest(bytes.NewReader(in)); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v, want a protocol error", name, err)
		}
	}
}

// Whatever a client sends, reading it ends in a request or an error, never
// a panic (a length is checked against the bound before the body is read).
func FuzzReadRequest(f *testing.F) {
	f.Add(dumpRequest)
	f.Add(costRequest)
	f.Add(append(append([]byte{}, dumpRequest...), costRequest...))
	f.Add([]byte{0, 1, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 2, 0, 0, 0, 22, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			req, err := ReadRequest(r)
			if err != nil {
				return
			}
			if req.Type != TypeDump && req.Type != TypeSetCostMultiplier {
				t.Fatalf("accepted a request of type %d", req.Type)
			}
		}
	})
}
