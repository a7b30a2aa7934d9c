package doctor

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

// fakeSys is an in-memory kernel: a routing table keyed like the kernel's,
// sysctls and links.
type fakeSys struct {
	mu       sync.Mutex
	routes   map[string]system.Route
	sysctl   map[string]string
	links    []system.Link
	get      map[netip.Addr]system.Route // RouteGet answers
	addErr   error
	watchers []chan struct{}
}

func newFakeSys(rs ...system.Route) *fakeSys {
	s := &fakeSys{routes: map[string]system.Route{}, sysctl: map[string]string{}, get: map[netip.Addr]system.Route{}}
	for _, r := range rs {
		s.routes[r.Key()] = r
	}
	return s
}

func (s *fakeSys) Routes() ([]system.Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []system.Route
	for _, r := range s.routes {
		out = append(out, r)
	}
	return out, nil
}

func (s *fakeSys) notifyLocked() {
	for _, w := range s.watchers {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

func (s *fakeSys) AddRoute(r system.Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addErr != nil {
		return s.addErr
	}
	if _, ok := s.routes[r.Key()]; ok {
		return syscall.EEXIST
	}
	s.routes[r.Key()] = r
	s.notifyLocked()
	return nil
}

func (s *fakeSys) ReplaceRoute(r system.Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routes[r.Key()] = r
	s.notifyLocked()
	return nil
}

func (s *fakeSys) DeleteRoute(r system.Route) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.routes[r.Key()]; !ok {
		return syscall.ESRCH
	}
	delete(s.routes, r.Key())
	s.notifyLocked()
	return nil
}

func (s *fakeSys) RouteGet(dst, src netip.Addr) (system.Route, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.get[dst]; ok {
		return r, nil
	}
	return system.Route{}, fmt.Errorf("route get %v: network unreachable", dst)
}

func (s *fakeSys) Links() ([]system.Link, error) { return s.links, nil }

func (s *fakeSys) Sysctl(key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sysctl[key]
	if !ok {
		return "", errors.New("no such file or directory")
	}
	return v, nil
}

func (s *fakeSys) SetSysctl(key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sysctl[key] = value
	return nil
}

func (s *fakeSys) WatchRoutes(ctx context.Context) (<-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{}, 1)
	s.watchers = append(s.watchers, ch)
	return ch, nil
}

func (s *fakeSys) table() string {
	rs, _ := s.Routes()
	var l []string
	for _, r := range rs {
		l = append(l, r.String())
	}
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// fakeRunner answers tool invocations from a table of command lines.
type fakeRunner struct {
	out map[string]string // "nft -j list ruleset" → output; tools absent from every key are not installed
}

func (r fakeRunner) LookPath(name string) error {
	for k := range r.out {
		if strings.Fields(k)[0] == name {
			return nil
		}
	}
	return errors.New("not found")
}

func (r fakeRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	out, ok := r.out[cmd]
	if !ok {
		return nil, fmt.Errorf("%s: unexpected command", cmd)
	}
	return []byte(out), nil
}
