package control

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"re6st-tui/node/bus"
	"re6st-tui/ui/fake"
)

// BenchmarkSnapshotLarge measures `--attach` start-up on a big node:
// one snapshot with 10,000 routes and 100 peers over the socket.
func BenchmarkSnapshotLarge(b *testing.B) {
	eng := &testEngine{Engine: fake.New(fake.Large(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), 10000, 100)), bus: bus.New(0)}
	path, _ := serve(b, eng, nil)
	c := dial(b, path)
	st := eng.Snapshot()
	raw, _ := json.Marshal(st)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if s := c.Snapshot(); len(s.Routes) != len(st.Routes) {
			b.Fatalf("%d routes, want %d", len(s.Routes), len(st.Routes))
		}
	}
}

// BenchmarkEvents measures the event stream: publish to delivery.
func BenchmarkEvents(b *testing.B) {
	eng := newTestEngine(1 << 20)
	path, _ := serve(b, eng, nil)
	c := dial(b, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := c.Subscribe(ctx)
	ev := logEvent(1)
	b.ReportAllocs()
	for b.Loop() {
		eng.bus.Publish(ev)
		if _, ok := <-ch; !ok {
			b.Fatal("stream closed")
		}
	}
}
