package babel

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"re6st-tui/routing/kernel"
)

// chanNet joins speakers running their real Run loop: every datagram sent by
// one is delivered to the others' receive channels.
type chanNet struct {
	mu  sync.Mutex
	rxs map[*chanTransport]chan Datagram
}

type chanTransport struct {
	net *chanNet
	ll  netip.Addr
}

func (t *chanTransport) Join(int) error  { return nil }
func (t *chanTransport) Leave(int) error { return nil }
func (t *chanTransport) Send(d Datagram) error {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	for peer, rx := range t.net.rxs {
		if peer == t || (!d.Dst.IsMulticast() && d.Dst != peer.ll) {
			continue
		}
		select {
		case rx <- Datagram{Ifindex: 1, Src: d.Src, Dst: d.Dst, Data: append([]byte(nil), d.Data...)}:
		default: // a full queue loses the packet, like a socket buffer
		}
	}
	return nil
}

func TestSpeakerAPI(t *testing.T) {
	cn := &chanNet{rxs: map[*chanTransport]chan Datagram{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var speakers []*Speaker
	var kerns []*kernel.Fake
	var wg sync.WaitGroup
	for i := 1; i <= 2; i++ {
		tr := &chanTransport{net: cn, ll: ll(i, 1)}
		rx := make(chan Datagram, 1024)
		cn.rxs[tr] = rx
		k := &kernel.Fake{}
		sp, err := New(Config{RouterID: rid(i), Hello: 200 * time.Millisecond,
			Xroutes: []Xroute{xr("2001:db8:" + string(rune('0'+i)) + "::/48")}}, tr, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = sp.Run(ctx, rx) }()
		speakers, kerns = append(speakers, sp), append(kerns, k)
	}
	events := speakers[0].Subscribe(ctx)
	for i, sp := range speakers {
		if err := sp.AddInterface(Interface{Name: "t0", Index: 1, Kind: Tunnel, LinkLocal: ll(i+1, 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := speakers[0].AddInterface(Interface{Name: "t0", Index: 1, LinkLocal: ll(1, 1)}); err == nil {
		t.Error("adding an interface twice succeeded")
	}
	// Wait for the route event from the stream rather than sleeping.
	deadline := time.After(20 * time.Second)
	for got := false; !got; {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("event channel closed")
			}
			got = ev.Kind == RouteChanged && ev.Route.Prefix == netip.MustParsePrefix("2001:db8:2::/48") && ev.Route.InKernel
		case <-deadline:
			t.Fatal("no route event")
		}
	}
	snap, err := speakers[0].Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Interfaces) != 1 || len(snap.Neighbours) != 1 || len(snap.Xroutes) != 1 || len(snap.Sources) == 0 {
		t.Fatalf("snapshot: %+v", snap)
	}
	if err := speakers[0].SetCostMultiplier("t0", ll(2, 1), 0); err != nil {
		t.Fatal(err)
	}
	if err := speakers[0].SetCostMultiplier("nope", ll(2, 1), 0); err == nil {
		t.Error("unknown interface accepted")
	}
	snap, _ = speakers[0].Snapshot()
	// The installed route stays, unreachable, until an alternative appears (as babeld).
	if snap.Neighbours[0].Cost != inf || kerns[0].String() != "unreachable 2001:db8:2::/48 metric 4294967295\n" {
		t.Errorf("multiplier 0: neighbour %+v, kernel %q", snap.Neighbours[0], kerns[0].String())
	}
	if n, err := speakers[0].FlushOrigin("t0", netip.MustParsePrefix("2001:db8:2::/48")); err != nil || n != 1 {
		t.Errorf("FlushOrigin: %d neighbours flushed, %v", n, err)
	}
	if err := speakers[0].FlushNeighbour("t0", ll(9, 9)); err == nil {
		t.Error("FlushNeighbour of an unknown neighbour succeeded")
	}
	if err := speakers[0].RemoveInterface("t0"); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if _, err := speakers[0].Snapshot(); err != ErrStopped {
		t.Errorf("snapshot after stop: %v", err)
	}
	for range events {
	}
}

// A subscriber that does not read while 10,000 routes change ten times
// holds one event per route, the latest; the speaker never waits for it.
func TestSlowSubscriberGetsLatestState(t *testing.T) {
	s := &Speaker{subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	ch := s.Subscribe(ctx)
	const routes, rounds = 10000, 10
	prefix := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 4: byte(i >> 8), 5: byte(i)}), 48)
	}
	for round := range rounds {
		evs := make([]Event, routes)
		for i := range evs {
			evs[i] = Event{Kind: RouteChanged, Route: &RouteInfo{Prefix: prefix(i), Metric: uint16(round)}}
		}
		s.publish(evs)
	}
	s.publish([]Event{
		{Kind: NeighbourAdded, Neighbour: &NeighbourInfo{Iface: "t0", Addr: ll(2, 1), Cost: inf}},
		{Kind: NeighbourChanged, Neighbour: &NeighbourInfo{Iface: "t0", Addr: ll(2, 1), Cost: 96}},
		{Kind: NeighbourAdded, Neighbour: &NeighbourInfo{Iface: "t0", Addr: ll(3, 1)}},
		{Kind: NeighbourFlushed, Neighbour: &NeighbourInfo{Iface: "t0", Addr: ll(3, 1)}},
	})
	latest := map[netip.Prefix]uint16{}
	neighbours := map[netip.Addr]Event{}
	n := 0
	for len(latest) < routes || latest[prefix(routes-1)] != rounds-1 || len(neighbours) < 2 {
		ev := <-ch
		n++
		if ev.Route != nil {
			latest[ev.Route.Prefix] = ev.Route.Metric
		} else {
			neighbours[ev.Neighbour.Addr] = ev
		}
	}
	for p, m := range latest {
		if m != rounds-1 {
			t.Fatalf("%v: last event has metric %d, want %d", p, m, rounds-1)
		}
	}
	// The channel's buffer may hold events of the first round.
	if n > routes+2+cap(ch)+1 {
		t.Errorf("%d events for %d routes and 2 neighbours", n, routes)
	}
	if ev := neighbours[ll(2, 1)]; ev.Kind != NeighbourAdded || ev.Neighbour.Cost != 96 {
		t.Errorf("neighbour added then changed: %v %+v", ev.Kind, ev.Neighbour)
	}
	if ev := neighbours[ll(3, 1)]; ev.Kind != NeighbourFlushed {
		t.Errorf("neighbour added then flushed: %v", ev.Kind)
	}
	cancel()
	for range ch {
	}
}
