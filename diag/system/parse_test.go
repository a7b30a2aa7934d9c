package system

import (
	"net/netip"
	"testing"
)

func TestEncodeParseRoundTrip(t *testing.T) {
	names := map[int]string{3: "re6stnet1"}
	for _, r := range []Route{
		{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8:42::/48"), Via: netip.MustParseAddr("fe80::1"), Dev: "re6stnet1", Table: TableMain, Metric: 1024, Proto: ProtoBabel, Type: TypeUnicast},
		{Dst: netip.MustParsePrefix("2001:db8:42:7::/64"), Via: netip.MustParseAddr("fe80::7"), Dev: "re6stnet1", Table: TableMain, Metric: 1024, Proto: ProtoBabel, Type: TypeUnicast, PrefSrc: netip.MustParseAddr("2001:db8:42:2::1")},
		{Dst: netip.MustParsePrefix("::/128"), Src: netip.MustParsePrefix("::/128"), Table: TableMain, Metric: 1024, Type: TypeUnreach},
		{Dst: netip.MustParsePrefix("2001:db8:42::/48"), Table: 100, Metric: 5, Proto: ProtoStatic, Type: TypeUnicast},
		{Dst: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("198.18.0.1"), Dev: "re6stnet1", Table: TableMain, Proto: ProtoStatic, Type: TypeUnicast},
		{Dst: netip.MustParsePrefix("198.19.128.128/25"), Via: netip.MustParseAddr("198.19.128.129"), Dev: "re6stnet1", Table: TableMain, Proto: ProtoBabel, Type: TypeUnicast, PrefSrc: netip.MustParseAddr("198.19.128.1")},
	} {
		t.Run(r.String(), func(t *testing.T) {
			ifindex := 0
			if r.Dev != "" {
				ifindex = 3
			}
			got, ok := parseRoute(encodeRoute(r, ifindex), names)
			if !ok {
				t.Fatal("not parsed")
			}
			if got != r {
				t.Fatalf("got %v\nwant %v", got, r)
			}
		})
	}
}

func TestRouteString(t *testing.T) {
	r := Route{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8:42::/48"), Via: netip.MustParseAddr("fe80::1"), Dev: "re6stnet1", Table: TableMain, Metric: 1024, Proto: ProtoBabel}
	if got, want := r.String(), "default from 2001:db8:42::/48 via fe80::1 dev re6stnet1 proto babel metric 1024"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	r.PrefSrc = netip.MustParseAddr("2001:db8:42:2::1")
	if got, want := r.String(), "default from 2001:db8:42::/48 via fe80::1 dev re6stnet1 proto babel src 2001:db8:42:2::1 metric 1024"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	good := encodeRoute(Route{Dst: netip.MustParsePrefix("2001:db8::/32"), Metric: 1}, 0)
	for name, b := range map[string][]byte{
		"short":        good[:5],
		"ipv4":         append([]byte{2}, good[1:]...),
		"bad-len":      append(append([]byte{}, good[:12]...), 0xff, 0x00, 1, 0),
		"dst-too-big":  append([]byte{10, 200}, good[2:]...),
		"ipv4-too-big": append([]byte{2, 33}, encodeRoute(Route{Dst: netip.MustParsePrefix("198.18.0.0/15")}, 0)[2:]...),
	} {
		if r, ok := parseRoute(b, nil); ok {
			t.Errorf("%s: parsed %v", name, r)
		}
	}
}

func FuzzParseRoute(f *testing.F) {
	f.Add(encodeRoute(Route{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8:42::/48"), Via: netip.MustParseAddr("fe80::1"), Metric: 1024}, 2))
	f.Add(encodeRoute(Route{Dst: netip.MustParsePrefix("2001:db8:42:7::/64"), Via: netip.MustParseAddr("fe80::7"), PrefSrc: netip.MustParseAddr("2001:db8:42:2::1"), Metric: 1024}, 2))
	f.Add([]byte{10, 0, 0, 0, 254, 42, 0, 1})
	f.Add(encodeRoute(Route{Dst: netip.MustParsePrefix("198.19.128.0/25"), Via: netip.MustParseAddr("198.19.128.129"), PrefSrc: netip.MustParseAddr("198.19.128.1"), Metric: 0}, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := parseRoute(b, map[int]string{2: "eth0"})
		if !ok {
			return
		}
		if !r.Dst.IsValid() {
			t.Fatalf("accepted route without destination: %v", r)
		}
		if r.Src.IsValid() && r.Src.Addr().Is4() != r.Dst.Addr().Is4() {
			t.Fatalf("source and destination of two families: %v", r)
		}
	})
}
