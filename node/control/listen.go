package control

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Listener is a Unix socket listener that removes its socket file when
// closed, unless another server has replaced the file meanwhile.
type Listener struct {
	*net.UnixListener
	path string
	info os.FileInfo // the socket file as created, to recognise it at Close
}

// Listen creates the control socket at path, readable and writable by
// its owner only (the node runs as root, so only root controls it). A
// stale socket left by a crashed node is replaced; a socket some running
// node still answers on, or a file that is not a socket, is left alone
// and reported.
func Listen(path string) (*Listener, error) {
	if err := checkStale(path); err != nil {
		return nil, err
	}
	// Bind under a temporary name, restrict it, then rename it into
	// place: nobody can connect while the mode is still the umask's.
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.Itoa(os.Getpid())+".tmp")
	_ = os.Remove(tmp)
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w; check that its directory exists and is writable", path, err)
	}
	ul.SetUnlinkOnClose(false)
	fail := func(err error) (*Listener, error) {
		ul.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	return &Listener{UnixListener: ul, path: path, info: info}, nil
}

// checkStale makes sure path is free: absent, or a socket nobody answers.
func checkStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket %s: a file that is not a socket is in the way; remove it or choose another path", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("control socket %s: another node is serving on it; stop that node or choose another path", path)
	}
	return nil // stale: the rename in Listen replaces it
}

// Addr returns the socket's address under its final name (it was bound
// under a temporary one).
func (l *Listener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }

// Path returns the socket's path.
func (l *Listener) Path() string { return l.path }

// Close stops listening and removes the socket file if it is still ours.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.info) {
		if rerr := os.Remove(l.path); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
