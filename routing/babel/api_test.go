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

func TestSlowSubscriberIsDropped(t *testing.T) {
	s := &Speaker{subs: map[chan Event]struct{}{}, done: make(chan struct{})}
	ch := s.Subscribe(context.Background())
	for range 1000 {
		s.publish(Event{Kind: NeighbourChanged})
	}
	var last Event
	n := 0
	for ev := range ch {
		last = ev
		n++
	}
	if last.Kind != FellBehind || n > 256 {
		t.Errorf("got %d events, last %v", n, last.Kind)
	}
}
