package kernel

import (
	"errors"
	"net/netip"
	"testing"
)

func TestRouteString(t *testing.T) {
	for _, tc := range []struct {
		r    Route
		want string
	}{
		{Route{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8::/32"), Gateway: netip.MustParseAddr("fe80::1"), Ifindex: 3},
			"default from 2001:db8::/32 via fe80::1 dev 3"},
		{Route{Dst: netip.MustParsePrefix("2001:db8:b::/48"), Unreachable: true, Metric: 0xFFFFFFFF},
			"unreachable 2001:db8:b::/48 metric 4294967295"},
		{Route{Dst: netip.MustParsePrefix("2001:db8:b::/48"), Src: netip.MustParsePrefix("::/0"), Gateway: netip.MustParseAddr("fe80::1"), Ifindex: 2, PrefSrc: netip.MustParseAddr("2001:db8:a::1"), Table: 7},
			"2001:db8:b::/48 via fe80::1 dev 2 src 2001:db8:a::1 table 7"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestKeyIgnoresEmptySource(t *testing.T) {
	a := Route{Dst: netip.MustParsePrefix("2001:db8::/32"), Src: netip.MustParsePrefix("::/0")}
	b := Route{Dst: netip.MustParsePrefix("2001:db8::/32")}
	if a.Key() != b.Key() {
		t.Errorf("%v != %v", a.Key(), b.Key())
	}
}

func TestFake(t *testing.T) {
	f := &Fake{NoSubtrees: true}
	ss := Route{Dst: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8::/32"), Gateway: netip.MustParseAddr("fe80::1"), Ifindex: 1}
	if err := f.Replace(ss); !errors.Is(err, ErrNoSubtrees) {
		t.Errorf("source-specific route without subtrees: %v", err)
	}
	plain := Route{Dst: netip.MustParsePrefix("2001:db8:1::/48"), Gateway: netip.MustParseAddr("fe80::1"), Ifindex: 1}
	if err := f.Replace(plain); err != nil {
		t.Fatal(err)
	}
	plain.Ifindex = 2
	if err := f.Replace(plain); err != nil {
		t.Fatal(err)
	}
	if got := f.String(); got != "2001:db8:1::/48 via fe80::1 dev 2\n" {
		t.Errorf("replace: %q", got)
	}
	if err := f.Delete(plain); err != nil {
		t.Fatal(err)
	}
	if err := f.Delete(plain); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}
