package babel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

func TestParseState(t *testing.T) {
	id := wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}
	for _, tc := range []struct {
		name, in string
		want     savedState
		err      string
	}{
		{"ours", "router-id 02:00:00:00:00:00:00:0b\nseqno 1234\n", savedState{id, true, 1234}, ""},
		{"babeld", "4321\n", savedState{Seqno: 4321}, ""},
		{"comment", "# kept by re6st\nseqno 7\n", savedState{Seqno: 7}, ""},
		{"no-seqno", "router-id 02:00:00:00:00:00:00:0b\n", savedState{}, "no seqno"},
		{"big-seqno", "seqno 65536\n", savedState{}, "line 1: seqno \"65536\""},
		{"bad-id", "router-id 02:00\nseqno 1\n", savedState{}, "line 1: router-id"},
		{"junk", "seqno 1\nfoo bar\n", savedState{}, "line 2: unknown line"},
		{"empty", "", savedState{}, "no seqno"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseState([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tc.want)
			}
		})
	}
}

func FuzzParseState(f *testing.F) {
	for _, s := range []string{"router-id 02:00:00:00:00:00:00:0b\nseqno 1234\n", "4321\n", "seqno 0\n", "# x\n\nseqno 65535", "router-id 0200000000000001\nseqno 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseState(b)
		if err != nil {
			return
		}
		// What parses survives a save and a second parse.
		dir := t.TempDir()
		p := filepath.Join(dir, "s")
		st.HasRouterID = true
		if err := saveState(p, st); err != nil {
			t.Fatal(err)
		}
		got, ok, err := takeState(p)
		if err != nil || !ok || got != st {
			t.Fatalf("round trip: %+v %v %v, want %+v", got, ok, err, st)
		}
	})
}

// The router-id and seqno survive a clean restart; after a crash (no
// file) the speaker takes a fresh random router-id.
func TestStateFileAcrossRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "babel.state")
	id := wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}
	if err := os.WriteFile(path, []byte("router-id "+id.String()+"\nseqno 100\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() (*Speaker, context.CancelFunc, chan error) {
		t.Helper()
		sp, err := New(Config{StateFile: path}, discard{}, &kernel.Fake{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sp.Run(ctx, make(chan Datagram)) }()
		return sp, cancel, done
	}
	sp, stop, done := start()
	snap, err := sp.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.RouterID != id || snap.Seqno != 101 {
		t.Errorf("after a clean stop: router-id %v seqno %d, want %v 101", snap.RouterID, snap.Seqno, id)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the state file is still there while running: %v", err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sp, stop, done = start()
	if snap, _ := sp.Snapshot(); snap.RouterID != id || snap.Seqno != 102 {
		t.Errorf("second restart: router-id %v seqno %d, want %v 102", snap.RouterID, snap.Seqno, id)
	}
	stop()
	<-done
	// A crash leaves no file: the next run is someone new.
	os.Remove(path)
	sp, stop, done = start()
	if snap, _ := sp.Snapshot(); snap.RouterID == id || snap.RouterID == (wire.RouterID{}) || snap.RouterID[0]&3 != 0 {
		t.Errorf("after a crash: router-id %v, want a fresh random one", snap.RouterID)
	}
	stop()
	<-done
}
