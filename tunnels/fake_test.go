package tunnels

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// fakeTaps records tap operations instead of touching the kernel.
type fakeTaps struct {
	mu  sync.Mutex
	ops []string
	up  map[string]int
}

func (f *fakeTaps) log(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, fmt.Sprintf(format, a...))
}

func (f *fakeTaps) Create(name string) error { f.log("create %s", name); return nil }
func (f *fakeTaps) Remove(name string) error { f.log("remove %s", name); return nil }
func (f *fakeTaps) Stale() ([]string, error) { return nil, nil }
func (f *fakeTaps) Up(name string, mtu int) error {
	f.log("up %s %d", name, mtu)
	return nil
}

func (f *fakeTaps) Ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

// logRecords is a slog handler that keeps records with their attributes
// flattened to "key=value" strings.
type logRecords struct {
	mu    *sync.Mutex
	attrs []string
	lines *[]string
}

func newLogRecords() *logRecords {
	return &logRecords{mu: &sync.Mutex{}, lines: new([]string)}
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) WithGroup(string) slog.Handler            { return h }
func (h *logRecords) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = slices.Clone(h.attrs)
	for _, a := range as {
		n.attrs = append(n.attrs, a.Key+"="+a.Value.String())
	}
	return &n
}
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	line := append([]string{r.Message}, h.attrs...)
	r.Attrs(func(a slog.Attr) bool { line = append(line, a.Key+"="+a.Value.String()); return true })
	h.mu.Lock()
	*h.lines = append(*h.lines, strings.Join(line, " "))
	h.mu.Unlock()
	return nil
}

func (h *logRecords) Lines() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(*h.lines)
}
