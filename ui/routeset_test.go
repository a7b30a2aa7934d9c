package ui

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// TestRouteTablesFollowEvents applies random route events one by one and
// checks, after each, that the tables kept up to date event by event show
// what tables built from scratch show: the same rows in the same order,
// the same conflicts and the same routes missing from the kernel.
func TestRouteTablesFollowEvents(t *testing.T) {
	for _, keys := range [][]string{{"2"}, {"2", "a"}, {"2", "/", "e", "t", "h", "enter"}, {"3", "/", "m", "i", "s", "s", "enter"}, {"2", "/", "c", "o", "n", "f", "enter"}, {"3", "/", "2", "enter"}} {
		m, _ := newModel(t, fake.Typical(t0), 120, 40)
		press(m, keys...)
		rnd := rand.New(rand.NewPCG(1, 2))
		devs := []string{"eth0", "re6stnet1", "re6stnet2"}
		for i := range 500 {
			p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x42, 0, 0, byte(rnd.IntN(8))}), 64)
			if rnd.IntN(4) == 0 {
				p = netip.MustParsePrefix("::/0")
			}
			var ev state.Event
			removed := rnd.IntN(3) == 0
			switch rnd.IntN(5) {
			case 0:
				s := state.Source{Prefix: p, Src: netip.MustParsePrefix("::/0"), RouterID: devs[rnd.IntN(3)], Seqno: uint16(rnd.IntN(9))}
				ev = state.Event{Kind: state.KindSource, Source: &s, Removed: removed}
			case 1, 2:
				k := state.KernelRoute{Dst: p, Dev: devs[rnd.IntN(3)], Proto: state.OriginBabel, Metric: 1024 + rnd.IntN(2), Table: 254}
				ev = state.Event{Kind: state.KindKernel, Kernel: &k, Removed: removed}
			default:
				r := state.BabelRoute{Prefix: p, Src: netip.MustParsePrefix("::/0"), Metric: uint16(96 + rnd.IntN(2)*0xff00),
					NextHop: netip.MustParseAddr("fe80::1"), Iface: devs[1+rnd.IntN(2)], Installed: rnd.IntN(2) == 0}
				ev = state.Event{Kind: state.KindRoute, Route: &r, Removed: removed}
			}
			m.Update(eventMsg{ev})
			m.Update(flushMsg{})
			fresh := *m
			fresh.routes = newRoutesPanel()
			fresh.routes.all, fresh.routes.filter = m.routes.all, m.routes.filter
			fresh.babel = newBabelPanel()
			fresh.babel.filter = m.babel.filter
			fresh.babel.setWidth(m.width)
			fresh.routes.rebuild(&fresh)
			fresh.babel.rebuild(&fresh)
			if got, want := routeKeysOf(m.routes.rows()), routeKeysOf(fresh.routes.rows()); !slices.Equal(got, want) {
				t.Fatalf("%v, event %d: rows\n%v\nwant\n%v", keys, i, got, want)
			}
			for sub := range bCount {
				m.babel.sub, fresh.babel.sub = sub, sub
				if got, want := babelRows(m), babelRows(&fresh); !slices.Equal(got, want) {
					t.Fatalf("%v, event %d: Babel %s\n%v\nwant\n%v", keys, i, babelNames[sub], got, want)
				}
			}
			m.babel.sub = 0
			if m.routes.set.conflicts != fresh.routes.set.conflicts || m.babel.check.missing != fresh.babel.check.missing {
				t.Fatalf("%v, event %d: %d conflicts and %d missing, want %d and %d", keys, i,
					m.routes.set.conflicts, m.babel.check.missing, fresh.routes.set.conflicts, fresh.babel.check.missing)
			}
		}
	}
}

// babelRows is the current Babel table as text, row by row.
func babelRows(m *Model) []string {
	var out []string
	for r := range m.babel.rowCount(m.babel.sub) {
		var cells []string
		for c := range babelCols[m.babel.sub] {
			cells = append(cells, m.babel.cell(r, c))
		}
		out = append(out, strings.Join(cells, " "))
	}
	return out
}

func routeKeysOf(rows []*routeRow) []state.KernelKey {
	out := make([]state.KernelKey, len(rows))
	for i, r := range rows {
		out[i] = r.r.Key()
	}
	return out
}

// TestRoutesCursorStays: routes coming and going above the cursor leave
// it, and the view, on the route the person was looking at.
func TestRoutesCursorStays(t *testing.T) {
	m, _ := newModel(t, fake.Typical(t0), 120, 40)
	press(m, "2", "down", "down", "down", "down", "down")
	before := m.routes.rows()[m.routes.list.cursor].r.Key()
	k := state.KernelRoute{Dst: netip.MustParsePrefix("2001:db8:42::/64"), Dev: "re6stnet1", Proto: state.OriginBabel, Metric: 1024, Table: 254}
	m.Update(eventMsg{state.Event{Kind: state.KindKernel, Kernel: &k}})
	if got := m.routes.rows()[m.routes.list.cursor].r.Key(); got != before {
		t.Fatalf("after an addition above: cursor on %v, want %v", got, before)
	}
	m.Update(eventMsg{state.Event{Kind: state.KindKernel, Kernel: &k, Removed: true}})
	if got := m.routes.rows()[m.routes.list.cursor].r.Key(); got != before {
		t.Fatalf("after a removal above: cursor on %v, want %v", got, before)
	}
}
