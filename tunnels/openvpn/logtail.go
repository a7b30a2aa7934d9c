package openvpn

import (
	"fmt"
	"io"
	"os"

	"github.com/fsnotify/fsnotify"
)

// fileFollower follows a log file openvpn appends to (--log-append), as
// `tail -F` would: every line written after it started goes to line. A
// file truncated under it (logrotate's copytruncate) is read again from
// its start.
type fileFollower struct {
	f     *os.File
	w     *fsnotify.Watcher
	lines *lineWriter
	off   int64
	stop  chan struct{}
	done  chan struct{}
	buf   []byte
}

// followFile creates path if needed and follows what is appended to it
// from now on.
func followFile(path string, line func(string)) (*fileFollower, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log file %s: %w", path, err)
	}
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		err = w.Add(path)
	}
	if err != nil {
		if w != nil {
			w.Close()
		}
		f.Close()
		return nil, fmt.Errorf("watch log file %s: %w", path, err)
	}
	t := &fileFollower{f: f, w: w, lines: &lineWriter{line: line}, off: off,
		stop: make(chan struct{}), done: make(chan struct{}), buf: make([]byte, 32<<10)}
	go t.run()
	return t, nil
}

func (t *fileFollower) run() {
	defer close(t.done)
	for {
		select {
		case ev, ok := <-t.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Write) {
				t.read()
			}
		case _, ok := <-t.w.Errors:
			// An overflowed queue loses events, not data: read now.
			if !ok {
				return
			}
			t.read()
		case <-t.stop:
			t.read()
			t.lines.flush()
			return
		}
	}
}

// read takes everything appended since the last read.
func (t *fileFollower) read() {
	if st, err := t.f.Stat(); err == nil && st.Size() < t.off {
		t.off = 0 // truncated
	}
	for {
		n, err := t.f.ReadAt(t.buf, t.off)
		if n > 0 {
			t.off += int64(n)
			t.lines.Write(t.buf[:n])
		}
		if n < len(t.buf) || err != nil {
			return // at the end (io.EOF), or the next event retries
		}
	}
}

// Close reads what is left and stops following.
func (t *fileFollower) Close() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
	t.w.Close()
	t.f.Close()
}
