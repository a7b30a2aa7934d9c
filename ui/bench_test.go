package ui

import (
	"net/netip"
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

// reportP99 reports the 99th percentile of the frame times, and the
// median, which says more than the mean on a busy machine.
func reportP99(b *testing.B, frames []time.Duration) {
	if len(frames) == 0 {
		return
	}
	slices.Sort(frames)
	b.ReportMetric(float64(frames[len(frames)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(frames[len(frames)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkFlush is a burst of route changes as Babel makes them on a
// node with 10,000 routes: 100 routes learnt (or, every other iteration,
// lost) as 100 Babel route events and 100 kernel route events, then the
// deferred work (flush) and the next frame. It reports the time from the
// first event to the frame, that is, how late the screen is. With a
// filter set ("filtered"), the Babel tables are matched again at flush.
func BenchmarkFlush(b *testing.B) {
	for _, sc := range []struct {
		name string
		keys []string
	}{{"routes", []string{"2"}}, {"filtered", []string{"3", "right", "/", "4", "2", "enter"}}} {
		b.Run(sc.name, func(b *testing.B) {
			st := fake.Large(t0, 10000, 100)
			m, _ := newModel(b, st, 120, 40)
			press(m, sc.keys...)
			burst := burstEvents(st, 100)
			frames := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				removed := i%2 == 1
				start := time.Now()
				for _, ev := range burst {
					ev.Removed = removed
					m.Update(eventMsg{ev})
				}
				m.Update(flushMsg{})
				_ = m.View()
				frames = append(frames, time.Since(start))
			}
			reportP99(b, frames)
		})
	}
}

// burstEvents makes n new routes through the first tunnel, each as a
// Babel route event and a kernel route event.
func burstEvents(st state.State, n int) []state.Event {
	t, base := st.Tunnels[0], st.Routes[0]
	var out []state.Event
	for i := range n {
		p := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x42, 0xfe, byte(i >> 8), byte(i)}), 64)
		r := base
		r.Prefix = p
		k := state.KernelRoute{Dst: p, Via: t.LinkLocal, Dev: t.Iface, Proto: state.OriginBabel, Metric: 1024, Table: 254}
		out = append(out, state.Event{Kind: state.KindRoute, Route: &r}, state.Event{Kind: state.KindKernel, Kernel: &k})
	}
	return out
}

// BenchmarkFilterKey is one key typed into the routes tab's filter on a
// node with 10,000 routes: every route is matched again, then a frame.
func BenchmarkFilterKey(b *testing.B) {
	m, _ := newModel(b, fake.Large(t0, 10000, 100), 120, 40)
	press(m, "2", "/", "4", "2", ":")
	frames := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := "a"
		if i%2 == 1 {
			k = "backspace"
		}
		start := time.Now()
		m.Update(keyMsg(k))
		_ = m.View()
		frames = append(frames, time.Since(start))
	}
	reportP99(b, frames)
}
