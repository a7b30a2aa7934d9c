package defroute

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"

	"re6st-tui/diag/system"
)

// fakeKernel is an in-memory routing table keyed like the kernel's.
type fakeKernel struct {
	mu      sync.Mutex
	routes  map[string]system.Route
	watches []chan struct{}
	failAdd error
}

func newFakeKernel(rs ...system.Route) *fakeKernel {
	k := &fakeKernel{routes: map[string]system.Route{}}
	for _, r := range rs {
		k.routes[r.Key()] = r
	}
	return k
}

func (k *fakeKernel) Routes() ([]system.Route, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []system.Route
	for _, r := range k.routes {
		out = append(out, r)
	}
	return out, nil
}

func (k *fakeKernel) notifyLocked() {
	for _, w := range k.watches {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

func (k *fakeKernel) AddRoute(r system.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failAdd != nil {
		return k.failAdd
	}
	if _, ok := k.routes[r.Key()]; ok {
		return errors.New("file exists")
	}
	k.routes[r.Key()] = r
	k.notifyLocked()
	return nil
}

func (k *fakeKernel) ReplaceRoute(r system.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.routes[r.Key()] = r
	k.notifyLocked()
	return nil
}

func (k *fakeKernel) DeleteRoute(r system.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.routes[r.Key()]; !ok {
		return errors.New("no such process")
	}
	delete(k.routes, r.Key())
	k.notifyLocked()
	return nil
}

func (k *fakeKernel) WatchRoutes(ctx context.Context) (<-chan struct{}, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ch := make(chan struct{}, 1)
	k.watches = append(k.watches, ch)
	return ch, nil
}

// set changes the table from outside, as Babel or the user would.
func (k *fakeKernel) set(add []system.Route, del ...system.Route) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range del {
		delete(k.routes, r.Key())
	}
	for _, r := range add {
		k.routes[r.Key()] = r
	}
	k.notifyLocked()
}

// String prints the table sorted, one route a line.
func (k *fakeKernel) String() string {
	rs, _ := k.Routes()
	var l []string
	for _, r := range rs {
		l = append(l, r.String())
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}
