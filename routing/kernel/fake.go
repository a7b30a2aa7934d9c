package kernel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Fake is an in-memory kernel routing table for tests. As in the kernel,
// routes with the same key but different metrics are different routes.
type Fake struct {
	// NoSubtrees makes source-specific routes fail as on a kernel without
	// CONFIG_IPV6_SUBTREES.
	NoSubtrees bool
	// Refuse, when set, is the error every Replace returns, as a kernel
	// refusing a route (an unusable preferred source, say).
	Refuse error

	mu     sync.Mutex // guards routes and batches
	routes map[fakeKey]Route
	// batches counts the calls to Apply.
	batches int
}

type fakeKey struct {
	Key
	metric uint32
}

// ErrNoSubtrees is returned for source-specific routes on kernels without subtrees.
var ErrNoSubtrees = errors.New("kernel has no IPv6 subtree support (CONFIG_IPV6_SUBTREES): source-specific routes cannot be installed")

// Apply makes the changes in order, as [Netlink.Apply].
func (f *Fake) Apply(ops []Op) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	var errs []error
	for i, op := range ops {
		if err := f.applyLocked(op); err != nil {
			if errs == nil {
				errs = make([]error, len(ops))
			}
			errs[i] = err
		}
	}
	return errs
}

func (f *Fake) applyLocked(op Op) error {
	r := op.Route
	k := fakeKey{r.Key(), r.Metric}
	if op.Delete {
		if _, ok := f.routes[k]; !ok {
			return fmt.Errorf("remove route %v: %w", r, ErrNotFound)
		}
		delete(f.routes, k)
		return nil
	}
	if f.NoSubtrees && r.Src.IsValid() && r.Src.Bits() > 0 {
		return fmt.Errorf("install route %v: %w", r, ErrNoSubtrees)
	}
	if f.Refuse != nil {
		return fmt.Errorf("install route %v: %w", r, f.Refuse)
	}
	if f.routes == nil {
		f.routes = map[fakeKey]Route{}
	}
	f.routes[k] = r
	return nil
}

// Replace installs r, replacing a route with the same key and metric.
func (f *Fake) Replace(r Route) error { return first(f.Apply([]Op{{Route: r}})) }

// Delete removes r.
func (f *Fake) Delete(r Route) error { return first(f.Apply([]Op{{Delete: true, Route: r}})) }

// Batches is the number of Apply calls so far.
func (f *Fake) Batches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.batches
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
