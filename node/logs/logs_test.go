package logs

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/state"
)

func TestSourcesAttrsAndFile(t *testing.T) {
	var out bytes.Buffer
	s := NewSink(&out, 3)
	var seen []state.LogRecord
	s.OnRecord = func(r state.LogRecord) { seen = append(seen, r) }
	log := slog.New(s.Handler())
	at := time.Date(2026, 11, 24, 21, 39, 52, 0, time.UTC)
	s.clock = func() time.Time { return at }
	tun := log.With("source", "openvpn re6stnet2", "tunnel", "re6stnet2")
	tun.Info("Initialization Sequence Completed")
	log.WithGroup("peer").Warn("gone", "prefix", "1/16", "why", "silent for 60 s")
	log.Debug("hidden at info level")
	recs := s.Records()
	if len(recs) != 2 || len(seen) != 2 {
		t.Fatalf("records %v, seen %d", recs, len(seen))
	}
	if recs[0].Source != "openvpn re6stnet2" || recs[1].Source != "node" {
		t.Errorf("sources %q %q", recs[0].Source, recs[1].Source)
	}
	if recs[1].Attrs[0].Key != "peer.prefix" {
		t.Errorf("group attrs %v", recs[1].Attrs)
	}
	text := out.String()
	for _, want := range []string{
		"INFO     [openvpn re6stnet2] Initialization Sequence Completed tunnel=re6stnet2\n",
		`WARN     gone peer.prefix=1/16 peer.why="silent for 60 s"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("log file lacks %q:\n%s", want, text)
		}
	}
}

func TestRingKeepsTheLast(t *testing.T) {
	s := NewSink(nil, 3)
	log := slog.New(s.Handler())
	for _, m := range []string{"a", "b", "c", "d", "e"} {
		log.Info(m)
	}
	var got []string
	for _, r := range s.Records() {
		got = append(got, r.Message)
	}
	if strings.Join(got, "") != "cde" {
		t.Errorf("ring = %v, want c d e", got)
	}
}

func TestReopenAfterRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "re6stnet.log")
	s := NewSink(nil, 10)
	if err := s.OpenFile(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log := slog.New(s.Handler())
	log.Info("before")
	os.Rename(path, path+".1")
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	log.Info("after")
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "after") || strings.Contains(string(b), "before") {
		t.Errorf("new file = %q", b)
	}
}

func TestLevels(t *testing.T) {
	s := NewSink(nil, 10)
	s.Level.Set(LevelFromVerbose(4))
	slog.New(s.Handler()).Log(nil, LevelTrace, "deep")
	if r := s.Records(); len(r) != 1 || levelName(r[0].Level) != "TRACE" {
		t.Errorf("trace record %v", r)
	}
	s.Level.Set(LevelFromVerbose(0))
	slog.New(s.Handler()).Error("silenced")
	if len(s.Records()) != 1 {
		t.Error("verbose 0 must silence everything")
	}
}
