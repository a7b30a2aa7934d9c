package ui

import (
	"slices"
	"testing"
	"time"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// BenchmarkView renders each tab of a 10,000-route, 100-peer node at
// 120×40 and reports the 99th percentile frame time next to the mean.
func BenchmarkView(b *testing.B) {
	st := fake.Large(t0, 10000, 100)
	for _, sc := range []struct {
		name string
		keys []string
	}{
		{"peers", nil}, {"routes", []string{"2"}}, {"babel-routes", []string{"3", "right"}},
		{"logs", []string{"4"}}, {"peer-detail", []string{"enter"}}, {"explain", []string{"2", "enter"}},
	} {
		b.Run(sc.name, func(b *testing.B) {
			m, _ := newModel(b, st, 120, 40)
			press(m, sc.keys...)
			frames := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				_ = m.View()
				frames = append(frames, time.Since(start))
			}
			reportP99(b, frames)
		})
	}
}

// BenchmarkEvent is the cost of one engine event and the frame after it
// on the same node; the rebuild it defers is BenchmarkFlush.
func BenchmarkEvent(b *testing.B) {
	st := fake.Large(t0, 10000, 100)
	m, _ := newModel(b, st, 120, 40)
	k := st.Kernel[500]
	frames := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k.Metric = 1024 + i%2 // alternate between two keys: add, then replace
		start := time.Now()
		m.Update(eventMsg{state.Event{Kind: state.KindKernel, Kernel: &k}})
		_ = m.View()
		frames = append(frames, time.Since(start))
	}
	reportP99(b, frames)
}

func reportP99(b *testing.B, frames []time.Duration) {
	if len(frames) == 0 {
		return
	}
	slices.Sort(frames)
	b.ReportMetric(float64(frames[len(frames)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkFlush is the deferred rebuild after kernel route changes:
// routes re-sorted and Babel's cross-check redone over 10,000 routes.
func BenchmarkFlush(b *testing.B) {
	m, _ := newModel(b, fake.Large(t0, 10000, 100), 120, 40)
	frames := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		m.dirtyRoutes, m.dirtyBabel = true, true
		m.Update(flushMsg{})
		_ = m.View()
		frames = append(frames, time.Since(start))
	}
	reportP99(b, frames)
}
