package babelctl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// The layouts re6st's Python registry decodes (sizes in bytes).
type dumpedNeighbour struct {
	Addr                                [16]byte
	Ifindex                             uint32
	Reach, RxCost, TxCost, RTT, RTTCost uint16
	Channel                             int32
	IfUp, Multiplier                    uint16
}

type dumpedXroute struct {
	Prefix [16]byte
	Plen   uint8
	Metric uint16
}

type dumpedRoute struct {
	Prefix                      [16]byte
	Plen                        uint8
	Metric, Smoothed, RefMetric uint16
	ID                          [8]byte
	Seqno, Age                  int32
	Ifindex                     uint32
	Neighbour, NextHop          [16]byte
	Flags                       uint8
}

type dumped struct {
	Interfaces map[uint32]string
	Neighbours []dumpedNeighbour
	Xroutes    []dumpedXroute
	Routes     []dumpedRoute
}

// decodeDump reads a dump body as re6st does, and fails on a byte left over.
func decodeDump(t *testing.T, body []byte) dumped {
	t.Helper()
	r := bytes.NewReader(body)
	count := func() int {
		var n uint16
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			t.Fatalf("array count: %v", err)
		}
		return int(n)
	}
	var d dumped
	d.Interfaces = map[uint32]string{}
	for range count() {
		var index uint32
		binary.Read(r, binary.BigEndian, &index)
		var name []byte
		for {
			c, err := r.ReadByte()
			if err != nil {
				t.Fatalf("interface name: %v", err)
			}
			if c == 0 {
				break
			}
			name = append(name, c)
		}
		d.Interfaces[index] = string(name)
	}
	d.Neighbours = make([]dumpedNeighbour, count())
	binary.Read(r, binary.BigEndian, d.Neighbours)
	d.Xroutes = make([]dumpedXroute, count())
	binary.Read(r, binary.BigEndian, d.Xroutes)
	d.Routes = make([]dumpedRoute, count())
	if err := binary.Read(r, binary.BigEndian, d.Routes); err != nil {
		t.Fatalf("routes: %v", err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes after the routes", r.Len())
	}
	return d
}

func a16(s string) [16]byte { return netip.MustParseAddr(s).As16() }

func testSnapshot() babel.Snapshot {
	peer := netip.MustParseAddr("fe80::2")
	return babel.Snapshot{
		Interfaces: []babel.InterfaceInfo{{Name: "lo", Index: 1, Up: true}, {Name: "re6stnet0", Index: 7, Up: true}, {Name: "re6stnet1", Index: 9}},
		Neighbours: []babel.NeighbourInfo{
			{Iface: "re6stnet0", Addr: peer, Reach: 0xff00, RxCost: 96, TxCost: 100, RTT: 12500 * time.Microsecond, RTTCost: 3, Cost: 99, Multiplier: 256},
			{Iface: "re6stnet1", Addr: netip.MustParseAddr("fe80::3"), Reach: 0x8000, RxCost: 0xFFFF, TxCost: 0xFFFF, Cost: 0xFFFF},
		},
		Xroutes: []babel.Xroute{
			{Prefix: netip.MustParsePrefix("2001:db8:0:1::/64"), Metric: 0},
			{Prefix: netip.MustParsePrefix("198.18.1.0/24"), Metric: 5},
		},
		Routes: []babel.RouteInfo{
			{Prefix: netip.MustParsePrefix("2001:db8:0:2::/64"), RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, 2}, Seqno: 40000,
				Metric: 195, RefMetric: 96, Via: peer, Iface: "re6stnet0", Feasible: true, Installed: true, InKernel: true, Age: 3 * time.Second},
			{Prefix: netip.MustParsePrefix("2001:db8:0:3::/64"), Via: peer, Iface: "re6stnet0", Metric: 300}, // not selected
		},
	}
}

func TestDump(t *testing.T) {
	d := decodeDump(t, AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpXroutes|DumpRoutes))
	if want := map[uint32]string{1: "lo", 7: "re6stnet0", 9: "re6stnet1"}; len(d.Interfaces) != 3 || d.Interfaces[7] != want[7] || d.Interfaces[9] != want[9] {
		t.Errorf("interfaces %v, want %v", d.Interfaces, want)
	}
	wantN := []dumpedNeighbour{
		{Addr: a16("fe80::2"), Ifindex: 7, Reach: 0xff00, RxCost: 96, TxCost: 100, RTT: 12, RTTCost: 3, Channel: -2, IfUp: 1, Multiplier: 256},
		{Addr: a16("fe80::3"), Ifindex: 9, Reach: 0x8000, RxCost: 0xFFFF, TxCost: 0xFFFF, Channel: -2},
	}
	if len(d.Neighbours) != 2 || d.Neighbours[0] != wantN[0] || d.Neighbours[1] != wantN[1] {
		t.Errorf("neighbours\n got %+v\nwant %+v", d.Neighbours, wantN)
	}
	wantX := []dumpedXroute{{Prefix: a16("2001:db8:0:1::"), Plen: 64}, {Prefix: a16("::ffff:198.18.1.0"), Plen: 120, Metric: 5}}
	if len(d.Xroutes) != 2 || d.Xroutes[0] != wantX[0] || d.Xroutes[1] != wantX[1] {
		t.Errorf("xroutes\n got %+v\nwant %+v", d.Xroutes, wantX)
	}
	wantR := dumpedRoute{Prefix: a16("2001:db8:0:2::"), Plen: 64, Metric: 195, Smoothed: 195, RefMetric: 96,
		ID: [8]byte{2, 0, 0, 0, 0, 0, 0, 2}, Seqno: 40000, Age: 3, Ifindex: 7, Neighbour: a16("fe80::2"), NextHop: a16("fe80::2"), Flags: 1}
	if len(d.Routes) != 1 || d.Routes[0] != wantR {
		t.Errorf("routes (installed only)\n got %+v\nwant %+v", d.Routes, wantR)
	}
}

// re6st asks for 0x0b: no xroutes; each table left out is an empty array.
func TestDumpFlags(t *testing.T) {
	d := decodeDump(t, AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpRoutes))
	if len(d.Interfaces) != 3 || len(d.Neighbours) != 2 || len(d.Xroutes) != 0 || len(d.Routes) != 1 {
		t.Errorf("0x0b: %d interfaces, %d neighbours, %d xroutes, %d routes; want 3, 2, 0, 1",
			len(d.Interfaces), len(d.Neighbours), len(d.Xroutes), len(d.Routes))
	}
	if body := AppendDump(nil, testSnapshot(), 0); !bytes.Equal(body, make([]byte, 8)) {
		t.Errorf("nothing asked: % x, want four empty arrays", body)
	}
}

// What AppendDump writes, ParseDump reads back.
func TestParseDump(t *testing.T) {
	d, err := ParseDump(AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpXroutes|DumpRoutes))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Interfaces) != 3 || d.Interfaces[1] != (DumpInterface{7, "re6stnet0"}) {
		t.Errorf("interfaces %+v", d.Interfaces)
	}
	wantN := DumpNeighbour{Addr: netip.MustParseAddr("fe80::2"), Ifindex: 7, Reach: 0xff00, RxCost: 96, TxCost: 100, RTT: 12, RTTCost: 3, Channel: -2, Up: true, Multiplier: 256}
	if len(d.Neighbours) != 2 || d.Neighbours[0] != wantN {
		t.Errorf("neighbours %+v, want first %+v", d.Neighbours, wantN)
	}
	if len(d.Xroutes) != 2 || d.Xroutes[1] != (DumpXroute{netip.MustParsePrefix("198.18.1.0/24"), 5}) {
		t.Errorf("xroutes %+v", d.Xroutes)
	}
	wantR := DumpRoute{Prefix: netip.MustParsePrefix("2001:db8:0:2::/64"), Metric: 195, Smoothed: 195, RefMetric: 96,
		RouterID: [8]byte{2, 0, 0, 0, 0, 0, 0, 2}, Seqno: 40000, Age: 3, Ifindex: 7,
		Neighbour: netip.MustParseAddr("fe80::2"), NextHop: netip.MustParseAddr("fe80::2"), Installed: true}
	if len(d.Routes) != 1 || d.Routes[0] != wantR {
		t.Errorf("routes %+v, want %+v", d.Routes, wantR)
	}
}

func TestParseDumpMalformed(t *testing.T) {
	good := AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpXroutes|DumpRoutes)
	for name, body := range map[string][]byte{
		"empty":             {},
		"truncated":         good[:len(good)-1],
		"trailing byte":     append(append([]byte{}, good...), 0),
		"count beyond data": {0, 0, 0xff, 0xff, 0, 0, 0, 0},
		"name without end":  {0, 1, 0, 0, 0, 1, 'l', 'o'},
		"short v4 prefix":   append([]byte{0, 0, 0, 0, 0, 1}, append(a16b("::ffff:198.18.0.0"), 8, 0, 0)...),
	} {
		if _, err := ParseDump(body); !errors.Is(err, ErrProtocol) {
			t.Errorf("%s: %v, want a protocol error", name, err)
		}
	}
}

func a16b(s string) []byte { a := a16(s); return a[:] }

func FuzzParseDump(f *testing.F) {
	f.Add(AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpXroutes|DumpRoutes))
	f.Add(AppendDump(nil, testSnapshot(), DumpInterfaces|DumpNeighbours|DumpRoutes))
	f.Add(make([]byte, 8))
	f.Add([]byte{0, 0, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDump(body)
		if err != nil {
			return
		}
		// A dump that parses writes back to the same bytes' length.
		n := 8
		for _, i := range d.Interfaces {
			n += 5 + len(i.Name)
		}
		n += len(d.Neighbours)*neighbourSize + len(d.Xroutes)*xrouteSize + len(d.Routes)*routeSize
		if n != len(body) {
			t.Fatalf("parsed %d bytes' worth of items from %d", n, len(body))
		}
	})
}
