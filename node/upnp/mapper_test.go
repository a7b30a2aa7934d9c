package upnp

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

var ports = []Port{{1194, "udp"}, {1194, "TCP"}}

func cfg() Config {
	return Config{Ports: append([]Port(nil), ports...), Description: "re6stnet", Rand: rand.New(rand.NewPCG(1, 2))}
}

func TestMapAndClose(t *testing.T) {
	g := newFakeGateway()
	m, err := Map(context.Background(), g, cfg())
	if err != nil {
		t.Fatal(err)
	}
	es := m.Entries()
	if len(es) != 2 {
		t.Fatalf("entries %v, want two", es)
	}
	for i, e := range es {
		if e.Addr.Addr() != g.ext || e.Addr.Port() < 32768 || e.Addr.Port() > 49151 {
			t.Errorf("entry %v: want %s with a port in 32768-49151", e, g.ext)
		}
		mp, ok := g.maps[key(e.Proto, e.Addr.Port())]
		if !ok || mp.Internal != 1194 || mp.Client != g.local || mp.Lease != DefaultLease {
			t.Errorf("entry %v: gateway holds %+v", e, mp)
		}
		if want := []string{"udp", "tcp"}[i]; e.Proto != want {
			t.Errorf("entry %d proto %s, want %s", i, e.Proto, want)
		}
		if !strings.HasPrefix(e.String(), "198.18.0.1,") || !strings.HasSuffix(e.String(), ","+e.Proto) {
			t.Errorf("entry string %q", e)
		}
	}
	if got := g.maps[key(es[0].Proto, es[0].Addr.Port())].Description; got != "re6stnet (1194/udp)" {
		t.Errorf("description %q", got)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(g.maps) != 0 {
		t.Errorf("mappings left after Close: %v", g.maps)
	}
	if len(m.Entries()) != 0 {
		t.Errorf("entries after Close: %v", m.Entries())
	}
}

func TestConflictTriesAnotherPort(t *testing.T) {
	g := newFakeGateway()
	g.conflicts = 5
	m, err := Map(context.Background(), g, cfg())
	if err != nil {
		t.Fatal(err)
	}
	if g.adds != 7 || len(g.maps) != 2 {
		t.Errorf("%d adds and %d mappings, want 7 and 2", g.adds, len(g.maps))
	}
	m.Close(context.Background())
}

func TestAllPortsTaken(t *testing.T) {
	g := newFakeGateway()
	g.conflicts = 1000
	_, err := Map(context.Background(), g, cfg())
	if err == nil || !strings.Contains(err.Error(), "all taken") {
		t.Fatalf("Map with every port taken: %v", err)
	}
	if g.adds != portTries {
		t.Errorf("%d tries, want %d", g.adds, portTries)
	}
}

func TestPartialFailureUnmaps(t *testing.T) {
	g := newFakeGateway()
	c := cfg()
	c.Ports = append(c.Ports, Port{1195, "udp"})
	calls := 0
	gw := &hookGateway{fakeGateway: g, onAdd: func() error {
		calls++
		if calls == 3 {
			return errGone
		}
		return nil
	}}
	if _, err := Map(context.Background(), gw, c); !errors.Is(err, errGone) {
		t.Fatalf("Map: %v, want the gateway's error", err)
	}
	if len(g.maps) != 0 {
		t.Errorf("mappings left after a failed Map: %v", g.maps)
	}
}

type hookGateway struct {
	*fakeGateway
	onAdd func() error
}

func (h *hookGateway) Add(ctx context.Context, m Mapping) error {
	if err := h.onAdd(); err != nil {
		return err
	}
	return h.fakeGateway.Add(ctx, m)
}

func TestPermanentLeasesOnly(t *testing.T) {
	g := newFakeGateway()
	g.permOnly = true
	m, err := Map(context.Background(), g, cfg())
	if err != nil {
		t.Fatal(err)
	}
	for _, mp := range g.maps {
		if mp.Lease != 0 {
			t.Errorf("mapping %+v has a lease on a gateway that takes none", mp)
		}
	}
	m.Close(context.Background())
}

func TestBadProto(t *testing.T) {
	c := cfg()
	c.Ports = []Port{{1194, "udp6"}}
	if _, err := Map(context.Background(), newFakeGateway(), c); err == nil || !strings.Contains(err.Error(), "IPv4 tcp and udp") {
		t.Errorf("Map of udp6: %v", err)
	}
}

func TestNoGateway(t *testing.T) {
	g := newFakeGateway()
	g.fail = errGone
	if _, err := Map(context.Background(), g, cfg()); !errors.Is(err, errGone) {
		t.Errorf("Map on a dead gateway: %v", err)
	}
}

// Run renews the mappings, re-adds one the router lost, and reports a
// new external address.
func TestRunRenews(t *testing.T) {
	g := newFakeGateway()
	c := cfg()
	c.Refresh = 5 * time.Millisecond
	var mu sync.Mutex
	var seen [][]Entry
	c.OnRenew = func(st Status) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, st.Entries())
	}
	m, err := Map(context.Background(), g, c)
	if err != nil {
		t.Fatal(err)
	}
	before := m.Mapped()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	g.set(func(g *fakeGateway) {
		g.maps = map[string]Mapping{} // the router rebooted
		g.ext = netip.MustParseAddr("198.18.0.2")
	})
	netlab.WaitFor(t, 10*time.Second, "new address reported", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || seen[len(seen)-1][0].Addr.Addr() != netip.MustParseAddr("198.18.0.2") {
			return errors.New("no change reported yet")
		}
		return nil
	})
	netlab.WaitFor(t, 10*time.Second, "mappings re-added", func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.maps) != 2 {
			return errors.New("router holds no mappings")
		}
		return nil
	})
	cancel()
	<-done
	if after := m.Mapped(); after[0] != before[0] || after[1] != before[1] {
		t.Errorf("ports moved from %v to %v though they were free", before, after)
	}
	m.Close(context.Background())
}

// After the router restarted elsewhere, Run finds it again and maps anew.
func TestRunRediscovers(t *testing.T) {
	a, b := newFakeGateway(), newFakeGateway()
	b.ext = netip.MustParseAddr("198.18.0.3")
	c := cfg()
	c.Refresh = 5 * time.Millisecond
	c.Discover = func(context.Context) (Gateway, error) { return b, nil }
	changes := make(chan Status, 100)
	c.OnRenew = func(st Status) { changes <- st }
	m, err := Map(context.Background(), a, c)
	if err != nil {
		t.Fatal(err)
	}
	a.set(func(g *fakeGateway) { g.fail = errGone })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	select {
	case st := <-changes:
		if es := st.Entries(); len(es) != 2 || es[0].Addr.Addr() != b.ext || st.Err != nil {
			t.Errorf("entries after rediscovery %v (%v), want two on %s", es, st.Err, b.ext)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no renewal reported after the gateway moved")
	}
	cancel()
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.maps) != 0 {
		t.Errorf("new gateway keeps %v after Close", b.maps)
	}
}

func TestMapKeepsCallersPorts(t *testing.T) {
	c := cfg()
	m, err := Map(context.Background(), newFakeGateway(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(context.Background())
	if c.Ports[1].Proto != "TCP" {
		t.Errorf("Map changed the caller's ports: %v", c.Ports)
	}
}

// A failed renewal is reported with its error; the mappings made before
// stay in the status, as they live on at the gateway until their lease.
func TestRunReportsFailure(t *testing.T) {
	g := newFakeGateway()
	c := cfg()
	c.Refresh = 5 * time.Millisecond
	reports := make(chan Status, 100)
	c.OnRenew = func(st Status) { reports <- st }
	m, err := Map(context.Background(), g, c)
	if err != nil {
		t.Fatal(err)
	}
	first := m.Status()
	if first.Renewed.IsZero() || first.Err != nil || first.Gateway == "" {
		t.Fatalf("status after Map: %+v", first)
	}
	g.set(func(g *fakeGateway) { g.fail = errGone })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	select {
	case st := <-reports:
		if !errors.Is(st.Err, errGone) || len(st.Entries()) != 2 || !st.Renewed.Equal(first.Renewed) {
			t.Errorf("status after a failed renewal: %+v", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no renewal reported")
	}
}
