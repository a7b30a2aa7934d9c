package openvpn

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// collected gathers followed lines.
type collected struct {
	mu    sync.Mutex
	lines []string
}

func (c *collected) add(l string) {
	c.mu.Lock()
	c.lines = append(c.lines, l)
	c.mu.Unlock()
}

func (c *collected) waitFor(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := slices.Clone(c.lines)
		c.mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("followed %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestFollowFileFromItsEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re6stnet1.log")
	appendTo(t, path, "from an earlier run\n")
	var c collected
	f, err := followFile(path, c.add)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	appendTo(t, path, "TCP connection established\nInitialization Seq")
	c.waitFor(t, "TCP connection established")
	appendTo(t, path, "uence Completed\n")
	c.waitFor(t, "TCP connection established", "Initialization Sequence Completed")
}

func TestFollowFileTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re6stnet1.log")
	var c collected
	f, err := followFile(path, c.add)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	appendTo(t, path, "a long first line before the rotation\n")
	c.waitFor(t, "a long first line before the rotation")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "after\n")
	c.waitFor(t, "a long first line before the rotation", "after")
}

func TestFollowFileCloseReadsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "re6stnet1.log")
	var c collected
	f, err := followFile(path, c.add)
	if err != nil {
		t.Fatal(err)
	}
	appendTo(t, path, "process exiting\nno newline at the end")
	f.Close()
	c.waitFor(t, "process exiting", "no newline at the end")
}

func TestFollowFileBadPath(t *testing.T) {
	if _, err := followFile(filepath.Join(t.TempDir(), "missing", "x.log"), func(string) {}); err == nil {
		t.Fatal("no error for a file in a missing directory")
	}
}
