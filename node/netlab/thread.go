package netlab

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
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
