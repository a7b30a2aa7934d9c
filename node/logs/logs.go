// Package logs is the node's log/slog handler: every record goes to the
// log file, in re6st's line format, and into a ring of recent records that
// the log panel shows, labelled by source (the node itself, an OpenVPN
// tunnel, Babel...).
package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"re6st-tui/node/state"
)

// LevelTrace is re6st's verbosity 4, below debug.
const LevelTrace = slog.Level(-8)

// LevelFromVerbose maps re6stnet's -v (1 warning … 4 trace) to a level;
// 0 turns logging off.
func LevelFromVerbose(v int) slog.Level {
	switch {
	case v <= 0:
		return slog.LevelError + 100
	case v == 1:
		return slog.LevelWarn
	case v == 2:
		return slog.LevelInfo
	case v == 3:
		return slog.LevelDebug
	}
	return LevelTrace
}

// Sink is shared by every handler derived with WithAttrs/WithGroup.
type Sink struct {
	Level *slog.LevelVar
	// OnRecord, if set, sees every record; it must not block.
	OnRecord func(state.LogRecord)

	mu sync.Mutex
	// all fields below are guarded by mu.
	out   io.Writer
	file  *os.File
	path  string
	ring  []state.LogRecord
	next  int
	full  bool
	clock func() time.Time
}

// NewSink keeps the last capacity records and writes lines to out (nil:
// nowhere).
func NewSink(out io.Writer, capacity int) *Sink {
	if capacity < 1 {
		capacity = 1
	}
	return &Sink{Level: new(slog.LevelVar), out: out, ring: make([]state.LogRecord, capacity), clock: time.Now}
}

// OpenFile makes the sink write to path, creating its directory.
func (s *Sink) OpenFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file != nil {
		s.file.Close()
	}
	s.file, s.out, s.path = f, f, path
	return nil
}

// Reopen reopens the log file after logrotate moved it (SIGUSR1).
func (s *Sink) Reopen() error {
	s.mu.Lock()
	path := s.path
	s.mu.Unlock()
	if path == "" {
		return nil
	}
	return s.OpenFile(path)
}

// Close closes the log file.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file, s.out = nil, nil
	return err
}

// Records returns the records in the ring, oldest first.
func (s *Sink) Records() []state.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.full {
		return append([]state.LogRecord(nil), s.ring[:s.next]...)
	}
	return append(append([]state.LogRecord(nil), s.ring[s.next:]...), s.ring[:s.next]...)
}

func (s *Sink) add(r state.LogRecord) {
	line := formatLine(r)
	s.mu.Lock()
	s.ring[s.next] = r
	s.next++
	if s.next == len(s.ring) {
		s.next, s.full = 0, true
	}
	if s.out != nil {
		io.WriteString(s.out, line)
	}
	s.mu.Unlock()
	if s.OnRecord != nil {
		s.OnRecord(r)
	}
}

// formatLine writes "YYYY-mm-dd HH:MM:SS.mmm LEVEL message", re6st's line
// with milliseconds (routing reacts within them), with the
// source and attributes after the message.
func formatLine(r state.LogRecord) string {
	var b strings.Builder
	b.WriteString(r.Time.Format("2006-01-02 15:04:05.000 "))
	fmt.Fprintf(&b, "%-8s ", levelName(r.Level))
	if r.Source != "" && r.Source != "node" {
		b.WriteString("[" + r.Source + "] ")
	}
	b.WriteString(r.Message)
	for _, a := range r.Attrs {
		v := a.Value
		if strings.ContainsAny(v, " \t\"=") || v == "" {
			v = fmt.Sprintf("%q", v)
		}
		b.WriteString(" " + a.Key + "=" + v)
	}
	b.WriteByte('\n')
	return b.String()
}

func levelName(l slog.Level) string {
	if l <= LevelTrace {
		return "TRACE"
	}
	return l.String()
}

// Handler returns a slog handler writing into the sink.
func (s *Sink) Handler() slog.Handler { return &handler{sink: s} }

type handler struct {
	sink   *Sink
	attrs  []state.Attr
	source string
	group  string
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.sink.Level.Level() }

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	rec := state.LogRecord{Time: r.Time, Level: r.Level, Source: h.source, Message: r.Message}
	if rec.Time.IsZero() {
		rec.Time = h.sink.clock()
	}
	rec.Attrs = append(rec.Attrs, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		h.collect(&rec, h.group, a)
		return true
	})
	if rec.Source == "" {
		rec.Source = "node"
	}
	h.sink.add(rec)
	return nil
}

func (h *handler) collect(rec *state.LogRecord, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Key == "source" && group == "" {
		rec.Source = a.Value.String()
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			h.collect(rec, key, g)
		}
		return
	}
	rec.Attrs = append(rec.Attrs, state.Attr{Key: key, Value: a.Value.String()})
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]state.Attr(nil), h.attrs...)
	rec := state.LogRecord{Source: h.source}
	for _, a := range as {
		n.collect(&rec, h.group, a)
	}
	n.source = rec.Source
	n.attrs = append(n.attrs, rec.Attrs...)
	return &n
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	if n.group != "" {
		name = n.group + "." + name
	}
	n.group = name
	return &n
}
