package kernel

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// Fake is an in-memory kernel routing table for tests.
type Fake struct {
	// NoSubtrees makes source-specific routes fail as on a kernel without
	// CONFIG_IPV6_SUBTREES.
	NoSubtrees bool
	// Refuse, when set, is the error every Replace returns, as a kernel
	// refusing a route (an unusable preferred source, say).
	Refuse error

	mu     sync.Mutex // guards routes
	routes map[Key]Route
}

// ErrNoSubtrees is returned for source-specific routes on kernels without subtrees.
var ErrNoSubtrees = errors.New("kernel has no IPv6 subtree support (CONFIG_IPV6_SUBTREES): source-specific routes cannot be installed")

// Replace installs r, replacing a route with the same key.
func (f *Fake) Replace(r Route) error {
	if f.NoSubtrees && r.Src.IsValid() && r.Src.Bits() > 0 {
		return ErrNoSubtrees
	}
	if f.Refuse != nil {
		return f.Refuse
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.routes == nil {
		f.routes = map[Key]Route{}
	}
	f.routes[r.Key()] = r
	return nil
}

// Delete removes the route with r's key.
func (f *Fake) Delete(r Route) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.routes[r.Key()]; !ok {
		return ErrNotFound
	}
	delete(f.routes, r.Key())
	return nil
}

// Subtrees reports whether source-specific routes are supported.
func (f *Fake) Subtrees() bool { return !f.NoSubtrees }

// Len is the number of installed routes.
func (f *Fake) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.routes)
}

// Routes returns the installed routes.
func (f *Fake) Routes() []Route {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rs []Route
	for _, r := range f.routes {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b Route) int { return strings.Compare(a.String(), b.String()) })
	return rs
}

// String lists the routes, one per line, sorted.
func (f *Fake) String() string {
	var b strings.Builder
	for _, r := range f.Routes() {
		b.WriteString(r.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// ErrNotFound is returned when deleting a route that is not there.
var ErrNotFound = errors.New("route not found")
