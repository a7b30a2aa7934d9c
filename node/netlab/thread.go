package netlab

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// onThread runs fn on a fresh OS thread that has joined the namespace ns.
// If the thread cannot be moved back, it is left locked so the Go runtime
// destroys it instead of reusing a thread stuck in the wrong namespace.
func onThread(ns netns.NsHandle, fn func() error) error {
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("get current namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("enter namespace: %w", err)}
			return
		}
		var fnErr error
		func() {
			defer func() {
				if r := recover(); r != nil {
					fnErr = fmt.Errorf("panic in namespace: %v", r)
				}
			}()
			fnErr = fn()
		}()
		if err := netns.Set(orig); err != nil {
			done <- result{fnErr} // thread stays locked and dies with this goroutine
			return
		}
		runtime.UnlockOSThread()
		done <- result{fnErr}
	}()
	return (<-done).err
}

// newNamedNS creates a named namespace without moving the caller's thread.
func newNamedNS(name string) (netns.NsHandle, error) {
	if err := sharedNetnsDir(); err != nil {
		return netns.None(), err
	}
	var h netns.NsHandle
	err := func() error {
		done := make(chan error, 1)
		go func() {
			runtime.LockOSThread()
			orig, err := netns.Get()
			if err != nil {
				runtime.UnlockOSThread()
				done <- err
				return
			}
			defer orig.Close()
			h, err = netns.NewNamed(name)
			if err != nil {
				_ = netns.Set(orig)
				runtime.UnlockOSThread()
				done <- err
				return
			}
			if err := netns.Set(orig); err != nil {
				done <- err // thread dies locked
				return
			}
			runtime.UnlockOSThread()
			done <- nil
		}()
		return <-done
	}()
	if err != nil {
		return netns.None(), fmt.Errorf("create namespace %s: %w", name, err)
	}
	return h, nil
}

var netnsDirOnce struct {
	sync.Once
	err error
}

// sharedNetnsDir makes /run/netns a shared mount on itself, as `ip netns
// add` does before its first namespace. Without it, the first `ip netns
// add` run by anyone later bind-mounts the directory over itself, and the
// namespaces made before are hidden under that mount, where nobody can
// unmount or delete them until the next boot.
func sharedNetnsDir() error {
	netnsDirOnce.Do(func() {
		if err := os.MkdirAll(nsDir, 0o755); err != nil {
			netnsDirOnce.err = err
			return
		}
		err := unix.Mount("", nsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if errors.Is(err, unix.EINVAL) { // not a mount point yet
			if err = unix.Mount(nsDir, nsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
				err = unix.Mount("", nsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
			}
		}
		if err != nil {
			netnsDirOnce.err = fmt.Errorf("make %s a shared mount (as ip netns does): %w", nsDir, err)
		}
	})
	return netnsDirOnce.err
}
