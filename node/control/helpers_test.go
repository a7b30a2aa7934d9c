package control

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/bus"
	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// testEngine is the fake node with its event stream replaced by a bus the
// test publishes on, and with hooks to watch subscriptions and traces end
// and to make commands hang.
type testEngine struct {
	*fake.Engine
	bus *bus.Bus

	mu     sync.Mutex
	ctxs   []context.Context // of every Subscribe and StartTrace, guarded by mu
	hang   bool              // Rebootstrap ignores ctx and waits for release
	unhang chan struct{}
}

func newTestEngine(buffer int) *testEngine {
	return &testEngine{Engine: fake.New(fake.Typical(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))),
		bus: bus.New(buffer), unhang: make(chan struct{})}
}

func (e *testEngine) track(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ctxs = append(e.ctxs, ctx)
}

func (e *testEngine) tracked() []context.Context {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]context.Context(nil), e.ctxs...)
}

func (e *testEngine) Subscribe(ctx context.Context) <-chan state.Event {
	e.track(ctx)
	return e.bus.Subscribe(ctx)
}

func (e *testEngine) StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error) {
	e.track(ctx)
	return e.Engine.StartTrace(ctx, dst)
}

func (e *testEngine) Rebootstrap(ctx context.Context) error {
	if e.hang {
		<-e.unhang
		return nil
	}
	return e.Engine.Rebootstrap(ctx)
}

// serve runs a server for eng on a fresh socket until the test ends and
// returns the socket path and a function that stops the server and
// waits for Serve to return.
func serve(t testing.TB, eng Engine, opts func(*Server)) (string, func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Engine: eng}
	if opts != nil {
		opts(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			ln.Close()
		})
	}
	t.Cleanup(stop)
	return path, stop
}

func dial(t testing.TB, path string) *Client {
	t.Helper()
	c, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logEvent(i int) state.Event {
	return state.Event{Kind: state.KindLog, Time: time.Unix(int64(i), 0).UTC(),
		Log: &state.LogRecord{Source: "node", Message: "event", Attrs: []state.Attr{{Key: "n", Value: string(rune('a' + i%26))}}}}
}

// recv reads one value or fails after a while.
func recv[T any](t *testing.T, ch <-chan T) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received within 10 s")
		var zero T
		return zero, false
	}
}

// waitClosed drains ch until it closes and returns what it held.
func waitClosed[T any](t *testing.T, ch <-chan T) []T {
	t.Helper()
	var got []T
	for {
		v, ok := recv(t, ch)
		if !ok {
			return got
		}
		got = append(got, v)
	}
}
