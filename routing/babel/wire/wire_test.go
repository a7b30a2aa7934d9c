package wire

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"reflect"
	"testing"
)

// Captures from babeld 1.12.1 (interop guide §2.8).
var (
	capHelloIHU = "2a020028" +
		"040c00002505019003" + "04cb91e61c" +
		"05180300006004b08442c4fffe502f7c" + "0308cb73343ecb73362b"
	capUpdates = "2a020031" +
		"060a0000e4e8fbda1a6a87e2" +
		"081002803000" + "0640d8220000" + "20010db8000a" +
		"081102000000" + "0640d8220000" + "80052020010db8"
	capCompression = "2a02004b" +
		"081202804000" + "06401388ffff" + "20010db8000b0001" +
		"080a02803006" + "06401388ffff" +
		"081402803005" + "06401388ffff" + "0c" + "80073020010db8000b" +
		"081302000000" + "06401388ffff" + "80073020010db8000b"
	capShutdown = "2a02001a" +
		"080a00000000ffffd822ffff" +
		"040c00002512000a" + "030401020304"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decode(t *testing.T, s string) *Packet {
	t.Helper()
	p, err := Decode(mustHex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Drops) != 0 {
		t.Fatalf("drops: %v", p.Drops)
	}
	return p
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func TestDecodeCaptures(t *testing.T) {
	rid, _ := ParseRouterID("e4:e8:fb:da:1a:6a:87:e2")
	ll := netip.MustParseAddr("fe80::8442:c4ff:fe50:2f7c")
	tests := []struct {
		name string
		hex  string
		want []TLV
	}{
		{"hello-ihu", capHelloIHU, []TLV{
			Hello{Seqno: 0x2505, Interval: 400, HasTimestamp: true, Timestamp: 0xcb91e61c},
			IHU{RxCost: 96, Interval: 1200, Addr: ll, HasTimestamp: true, Origin: 0xcb73343e, Receive: 0xcb73362b},
		}},
		{"updates", capUpdates, []TLV{
			RouterIDTLV{ID: rid},
			Update{Flags: 0x80, Interval: 1600, Seqno: 0xd822, Metric: 0, Prefix: pfx("2001:db8:a::/48"), Src: pfx("::/0"), HasRouterID: true, RouterID: rid},
			Update{Interval: 1600, Seqno: 0xd822, Metric: 0, Prefix: pfx("::/0"), Src: pfx("2001:db8::/32"), HasRouterID: true, RouterID: rid},
		}},
		{"compression", capCompression, []TLV{
			Update{Flags: 0x80, Interval: 1600, Seqno: 0x1388, Metric: Infinity, Prefix: pfx("2001:db8:b:1::/64"), Src: pfx("::/0")},
			Update{Flags: 0x80, Interval: 1600, Seqno: 0x1388, Metric: Infinity, Prefix: pfx("2001:db8:b::/48"), Src: pfx("::/0")},
			Update{Flags: 0x80, Interval: 1600, Seqno: 0x1388, Metric: Infinity, Prefix: pfx("2001:db8:c::/48"), Src: pfx("2001:db8:b::/48")},
			Update{Interval: 1600, Seqno: 0x1388, Metric: Infinity, Prefix: pfx("::/0"), Src: pfx("2001:db8:b::/48")},
		}},
		{"shutdown", capShutdown, []TLV{
			Update{Interval: 0xffff, Seqno: 0xd822, Metric: Infinity},
			Hello{Seqno: 0x2512, Interval: 10, HasTimestamp: true, Timestamp: 0x01020304},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := decode(t, tc.hex)
			if !reflect.DeepEqual(p.TLVs, tc.want) {
				t.Errorf("got  %+v\nwant %+v", p.TLVs, tc.want)
			}
		})
	}
}

// TestEncodeMatchesBabeld checks that the Writer emits babeld's bytes.
func TestEncodeMatchesBabeld(t *testing.T) {
	p := decode(t, capHelloIHU)
	w := NewWriter(1400)
	for _, tlv := range p.TLVs {
		if err := w.Add(tlv); err != nil {
			t.Fatal(err)
		}
	}
	if got := hex.EncodeToString(w.Bytes(nil)); got != capHelloIHU {
		t.Errorf("hello/ihu:\n got %s\nwant %s", got, capHelloIHU)
	}
	p = decode(t, capUpdates)
	w.Reset()
	for _, tlv := range p.TLVs[1:] { // the Writer inserts the Router-Id itself
		if err := w.Add(tlv); err != nil {
			t.Fatal(err)
		}
	}
	if got := hex.EncodeToString(w.Bytes(nil)); got != capUpdates {
		t.Errorf("updates:\n got %s\nwant %s", got, capUpdates)
	}
	p = decode(t, capCompression)
	w.Reset()
	for _, tlv := range p.TLVs {
		if err := w.Add(tlv); err != nil {
			t.Fatal(err)
		}
	}
	if got := hex.EncodeToString(w.Bytes(nil)); got != capCompression {
		t.Errorf("compression:\n got %s\nwant %s", got, capCompression)
	}
}

func TestRoundTrip(t *testing.T) {
	rid := RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}
	rid2 := RouterID{2, 0, 0, 0, 0, 0, 0, 0xc}
	in := []TLV{
		Hello{Flags: HelloUnicast, Seqno: 7, Interval: 0},
		IHU{RxCost: 96, Interval: 4500, Addr: netip.MustParseAddr("2001:db8::1")},
		IHU{RxCost: Infinity, Interval: 4500},
		Update{Interval: 6000, Seqno: 9, Metric: 96, Prefix: pfx("2001:db8:42:1::/64"), Src: pfx("::/0"), HasRouterID: true, RouterID: rid},
		Update{Interval: 6000, Seqno: 9, Metric: 96, Prefix: pfx("2001:db8:42:1:8000::/66"), Src: pfx("::/0"), HasRouterID: true, RouterID: rid},
		Update{Interval: 6000, Seqno: 3, Metric: 200, Prefix: pfx("2001:db8:43::/48"), Src: pfx("2001:db8:42::/48"), HasRouterID: true, RouterID: rid2},
		Update{Interval: 6000, Seqno: 3, Metric: 200, Prefix: pfx("198.18.4.0/24"), Src: pfx("0.0.0.0/0"), HasRouterID: true, RouterID: rid2, NextHop: netip.MustParseAddr("198.18.0.1")},
		Update{Interval: 6000, Seqno: 3, Metric: 200, Prefix: pfx("198.18.5.0/24"), Src: pfx("0.0.0.0/0"), HasRouterID: true, RouterID: rid2, V4viaV6: true},
		RouteRequest{},
		RouteRequest{Prefix: pfx("::/0"), Src: pfx("2001:db8::/32")},
		SeqnoRequest{Seqno: 5, HopCount: 127, RouterID: rid, Prefix: pfx("2001:db8:a::/48"), Src: pfx("2001:db8::/32")},
		SeqnoRequest{Seqno: 5, HopCount: 127, RouterID: rid, Prefix: pfx("10.0.0.0/8"), Src: pfx("0.0.0.0/0")},
		AckRequest{Nonce: 3, Interval: 100},
		Ack{Nonce: 3},
		ChallengeRequest{Nonce: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		ChallengeReply{Nonce: []byte{8, 7}},
	}
	w := NewWriter(1400)
	for _, tlv := range in {
		if err := w.Add(tlv); err != nil {
			t.Fatalf("add %+v: %v", tlv, err)
		}
	}
	p, err := Decode(w.Bytes(&PC{Counter: 9, Index: []byte{1, 2}}))
	if err != nil || len(p.Drops) > 0 {
		t.Fatal(err, p.Drops)
	}
	var got []TLV
	for _, tlv := range p.TLVs {
		switch v := tlv.(type) {
		case RouterIDTLV, NextHop, PC:
			continue
		case Update:
			v.Flags = 0
			tlv = v
		}
		got = append(got, tlv)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
	if p.PC == nil || p.PC.Counter != 9 || !bytes.Equal(p.PC.Index, []byte{1, 2}) {
		t.Errorf("pc = %+v", p.PC)
	}
}

func TestWriterFull(t *testing.T) {
	w := NewWriter(HeaderLen + 14)
	if err := w.Add(Hello{Seqno: 1, Interval: 400}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Hello{Seqno: 2, Interval: 400}); err != ErrFull {
		t.Fatalf("second hello: %v, want ErrFull", err)
	}
	n := w.Len()
	if err := w.Add(Update{Prefix: pfx("2001:db8::/32"), Metric: 1, HasRouterID: true}); err != ErrFull {
		t.Fatalf("update: %v, want ErrFull", err)
	}
	if w.Len() != n {
		t.Fatalf("failed add changed the packet: %d != %d", w.Len(), n)
	}
	if err := w.Add(Update{Prefix: pfx("2001:db8::/32"), Metric: 1}); err == nil || err == ErrFull {
		t.Fatalf("finite update without router-id: %v", err)
	}
}

func TestDecodeRules(t *testing.T) {
	rid := "060a0000" + "0102030405060708"
	upd := func(flags, plen, omitted string, prefix, sub string) string {
		body := "02" + flags + plen + omitted + "0640" + "0001" + "0060" + prefix + sub
		return "08" + hex.EncodeToString([]byte{byte(len(body) / 2)}) + body
	}
	pkt := func(tlvs ...string) string {
		body := ""
		for _, s := range tlvs {
			body += s
		}
		return "2a02" + hex.EncodeToString([]byte{0, byte(len(body) / 2)}) + body
	}
	tests := []struct {
		name    string
		hex     string
		updates []string // dst from src of decoded updates
		drops   []Drop
	}{
		{"no-router-id", pkt(upd("80", "30", "00", "20010db8000a", "")), nil, []Drop{DropNoRouterID}},
		{"mandatory-unknown", pkt(rid, upd("80", "30", "00", "20010db8000a", "8100")), nil, []Drop{DropMandatory}},
		{"non-mandatory-unknown", pkt(rid, upd("80", "30", "00", "20010db8000a", "4100")), []string{"2001:db8:a::/48 from ::/0"}, nil},
		// The first Update is dropped for its sub-TLV but still sets the default prefix.
		{"parser-state-exception", pkt(rid, upd("80", "30", "00", "20010db8000a", "8100"), upd("00", "40", "06", "0001", "")),
			[]string{"2001:db8:a:1::/64 from ::/0"}, []Drop{DropMandatory}},
		// R flag sets the router-id even when the Update itself is dropped.
		{"r-flag-exception", pkt(upd("c0", "80", "00", "20010db8000000000102030405060708", "8100"), upd("00", "30", "00", "20010db8000b", "")),
			[]string{"2001:db8:b::/48 from ::/0"}, []Drop{DropMandatory}},
		{"omitted-without-default", pkt(rid, upd("00", "30", "02", "0db8000a", "")), nil, []Drop{DropBadPrefix}},
		{"src-plen-zero", pkt(rid, upd("80", "00", "00", "", "800100")), nil, []Drop{DropSrcPrefix}},
		{"src-twice", pkt(rid, upd("80", "00", "00", "", "80022020010db880052020010db8")), nil, []Drop{DropBadSubTLV}},
		{"subtlv-overrun", pkt(rid, upd("80", "30", "00", "20010db8000a", "0105")), nil, []Drop{DropBadSubTLV}},
		{"pad-then-src", pkt(rid, upd("80", "00", "00", "", "0100"+"80052020010db8")), []string{"::/0 from 2001:db8::/32"}, nil},
		{"bad-ae", pkt(rid, "080a07000000064000010060"), nil, []Drop{DropBadAE}},
		{"short-update", pkt("0804"+"02000000", rid, upd("80", "30", "00", "20010db8000a", "")), []string{"2001:db8:a::/48 from ::/0"}, []Drop{DropShort}},
		{"truncated-tlv", pkt(rid, "08ff00"), nil, []Drop{DropTruncated}},
		{"unknown-tlv", pkt("2a00", rid), nil, []Drop{DropUnknownTLV}},
		{"plen-too-long", pkt(rid, upd("80", "81", "00", "20010db8000a", "")), nil, []Drop{DropBadPrefix}},
		{"wildcard-finite", pkt("080a00000000ffff00010060"), nil, []Drop{DropWildcard}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Decode(mustHex(t, tc.hex))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tlv := range p.TLVs {
				if u, ok := tlv.(Update); ok {
					got = append(got, u.Prefix.String()+" from "+u.Src.String())
					if u.RouterID != (RouterID{1, 2, 3, 4, 5, 6, 7, 8}) {
						t.Errorf("router-id %v", u.RouterID)
					}
				}
			}
			var drops []Drop
			for _, d := range p.Drops {
				drops = append(drops, d.Reason)
			}
			if !reflect.DeepEqual(got, tc.updates) || !reflect.DeepEqual(drops, tc.drops) {
				t.Errorf("updates %v drops %v, want %v %v", got, drops, tc.updates, tc.drops)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{{"2a02", ErrShort}, {"2b020000", ErrMagic}, {"2a010000", ErrVersion}} {
		if _, err := Decode(mustHex(t, tc.in)); err != tc.want {
			t.Errorf("%s: %v, want %v", tc.in, err, tc.want)
		}
	}
	p, err := Decode(mustHex(t, "2a020010"+"0406000000010190"))
	if err != nil || !p.Truncated || len(p.TLVs) != 1 {
		t.Errorf("truncated packet: %v %+v", err, p)
	}
}
