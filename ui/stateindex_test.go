package ui

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// TestStateIndexMatchesApply: the indexed apply changes the state as
// state.Apply does, rows in any order.
func TestStateIndexMatchesApply(t *testing.T) {
	want := fake.Typical(t0)
	got := fake.Typical(t0)
	var x stateIndex
	x.reset(&got)
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x42, 0, 0, byte(rnd.IntN(70))}), 64)
		removed := rnd.IntN(3) == 0
		var ev state.Event
		switch rnd.IntN(3) {
		case 0:
			k := state.KernelRoute{Dst: p, Dev: "re6stnet1", Proto: state.OriginBabel, Metric: 1024 + rnd.IntN(2), Table: 254, Via: netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(rnd.IntN(9))})}
			ev = state.Event{Kind: state.KindKernel, Kernel: &k, Removed: removed}
		case 1:
			r := state.BabelRoute{Prefix: p, Src: netip.MustParsePrefix("::/0"), Metric: uint16(rnd.IntN(500)),
				NextHop: netip.AddrFrom16([16]byte{0xfe, 0x80, 15: byte(rnd.IntN(9))}), Iface: "re6stnet1"}
			ev = state.Event{Kind: state.KindRoute, Route: &r, Removed: removed}
		default:
			s := state.Source{Prefix: p, Src: netip.MustParsePrefix("::/0"), RouterID: "r" + string(rune('a'+rnd.IntN(3))), Seqno: uint16(rnd.IntN(9))}
			ev = state.Event{Kind: state.KindSource, Source: &s, Removed: removed}
		}
		if a, b := want.Apply(ev), x.apply(&got, ev); a != b {
			t.Fatalf("event %d: changed %v, want %v", i, b, a)
		}
	}
	byKey := func(a, b state.KernelRoute) int {
		return cmp.Compare(a.Dst.String()+a.Via.String()+fmt.Sprint(a.Metric), b.Dst.String()+b.Via.String()+fmt.Sprint(b.Metric))
	}
	slices.SortFunc(want.Kernel, byKey)
	slices.SortFunc(got.Kernel, byKey)
	byRoute := func(a, b state.BabelRoute) int {
		return cmp.Compare(a.Prefix.String()+a.NextHop.String(), b.Prefix.String()+b.NextHop.String())
	}
	slices.SortFunc(want.Routes, byRoute)
	slices.SortFunc(got.Routes, byRoute)
	bySource := func(a, b state.Source) int {
		return cmp.Compare(a.Prefix.String()+a.RouterID, b.Prefix.String()+b.RouterID)
	}
	slices.SortFunc(want.Sources, bySource)
	slices.SortFunc(got.Sources, bySource)
	if !reflect.DeepEqual(want.Kernel, got.Kernel) || !reflect.DeepEqual(want.Routes, got.Routes) || !reflect.DeepEqual(want.Sources, got.Sources) {
		t.Fatalf("indexed state differs: %d/%d kernel, %d/%d routes, %d/%d sources",
			len(got.Kernel), len(want.Kernel), len(got.Routes), len(want.Routes), len(got.Sources), len(want.Sources))
	}
}
