// Package systemtest provides an in-memory kernel for tests of code that
// reads and changes routes and sysctls through the system package's
// methods (the doctor, its fixes, the node engine).
package systemtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"syscall"

	"re6st-tui/diag/system"
)

// Fake is an in-memory kernel: a routing table keyed like the kernel's,
// sysctls, links and answers to route lookups. Its methods are safe for
// concurrent use; set the exported fields before handing it out.
type Fake struct {
	LinkList []system.Link
	Get      map[netip.Addr]system.Route // RouteGet answers
	AddErr   error                       // AddRoute fails with it when set

	mu       sync.Mutex
	routes   map[string]system.Route
	sysctl   map[string]string
	watchers []chan struct{}
}

// New returns a Fake holding routes rs.
func New(rs ...system.Route) *Fake {
	f := &Fake{Get: map[netip.Addr]system.Route{}, routes: map[string]system.Route{}, sysctl: map[string]string{}}
	for _, r := range rs {
		f.routes[r.Key()] = r
	}
	return f
}

// Routes lists the IPv6 routes, in no order.
func (f *Fake) Routes() ([]system.Route, error) { return f.family(false), nil }

// IPv4Routes lists the IPv4 routes, in no order.
func (f *Fake) IPv4Routes() ([]system.Route, error) { return f.family(true), nil }

func (f *Fake) family(v4 bool) []system.Route {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]system.Route, 0, len(f.routes))
	for _, r := range f.routes {
		if r.Dst.Addr().Is4() == v4 {
			out = append(out, r)
		}
	}
	return out
}

func (f *Fake) notifyLocked() {
	for _, w := range f.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// AddRoute adds r, failing as the kernel does when its key exists.
func (f *Fake) AddRoute(r system.Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.AddErr != nil {
		return f.AddErr
	}
	if _, ok := f.routes[r.Key()]; ok {
		return syscall.EEXIST
	}
	f.routes[r.Key()] = r
	f.notifyLocked()
	return nil
}

// ReplaceRoute adds r or replaces the route with its key.
func (f *Fake) ReplaceRoute(r system.Route) error {
	f.Set([]system.Route{r})
	return nil
}

// DeleteRoute deletes the route with r's key.
func (f *Fake) DeleteRoute(r system.Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.routes[r.Key()]; !ok {
		return syscall.ESRCH
	}
	delete(f.routes, r.Key())
	f.notifyLocked()
	return nil
}

// RouteGet answers from Get.
func (f *Fake) RouteGet(dst, src netip.Addr) (system.Route, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.Get[dst]; ok {
		return r, nil
	}
	return system.Route{}, fmt.Errorf("route get %v: %w", dst, syscall.ENETUNREACH)
}

// Links returns LinkList.
func (f *Fake) Links() ([]system.Link, error) { return f.LinkList, nil }

// Sysctl reads a sysctl set before; others do not exist.
func (f *Fake) Sysctl(key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.sysctl[key]
	if !ok {
		return "", errors.New("no such file or directory")
	}
	return v, nil
}

// SetSysctl sets a sysctl.
func (f *Fake) SetSysctl(key, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sysctl[key] = value
	return nil
}

// WatchRoutes notifies after every change to the table until ctx ends.
func (f *Fake) WatchRoutes(ctx context.Context) (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{}, 1)
	f.watchers = append(f.watchers, ch)
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, w := range f.watchers {
			if w == ch {
				f.watchers = append(f.watchers[:i], f.watchers[i+1:]...)
				close(ch)
				return
			}
		}
	}()
	return ch, nil
}

// Set changes the table from outside, as Babel or a person would: it
// deletes del, then adds or replaces add.
func (f *Fake) Set(add []system.Route, del ...system.Route) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range del {
		delete(f.routes, r.Key())
	}
	for _, r := range add {
		f.routes[r.Key()] = r
	}
	f.notifyLocked()
}

// String prints the table sorted, one route a line, as `ip -6 route` would.
func (f *Fake) String() string {
	rs, _ := f.Routes()
	l := make([]string, 0, len(rs))
	for _, r := range rs {
		l = append(l, r.String())
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}
