package tunnels

import (
	"fmt"
	"slices"
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
