package remotegw

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeKernel records routes as `ip -4 route` lines.
type fakeKernel struct {
	routes map[string]bool
	fail   error
}

func newFake() *fakeKernel { return &fakeKernel{routes: map[string]bool{}} }

func (k *fakeKernel) Add(r Route) error {
	if k.fail != nil {
		return k.fail
	}
	if k.routes[r.String()] {
		return errors.New("file exists")
	}
	k.routes[r.String()] = true
	return nil
}

func (k *fakeKernel) Delete(r Route) error {
	delete(k.routes, r.String())
	return nil
}

func (k *fakeKernel) String() string {
	var out []string
	for r := range k.routes {
		out = append(out, r)
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

var (
	gw1 = netip.MustParseAddr("198.18.0.12")
	gw2 = netip.MustParseAddr("198.18.0.13")
	a   = netip.MustParseAddr("198.51.100.1")
	b   = netip.MustParseAddr("198.51.100.2")
	c   = netip.MustParseAddr("198.51.100.3")
)

func open(t *testing.T, k Kernel) (*Manager, string) {
	t.Helper()
	journal := filepath.Join(t.TempDir(), "remotegw.json")
	m, err := Open(k, journal, []netip.Addr{gw1, gw2})
	if err != nil {
		t.Fatal(err)
	}
	return m, journal
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func want(t *testing.T, k *fakeKernel, lines ...string) {
	t.Helper()
	if got := k.String(); got != strings.Join(lines, "\n") {
		t.Errorf("routes:\n%s\nwant:\n%s", got, strings.Join(lines, "\n"))
	}
}

func TestRoundRobinAndCounting(t *testing.T) {
	k := newFake()
	m, journal := open(t, k)
	must(t, m.Acquire(a, true))
	must(t, m.Acquire(b, true))
	must(t, m.Acquire(c, true))
	must(t, m.Acquire(a, true)) // a second tunnel to a: no new route
	must(t, m.Acquire(netip.MustParseAddr("2001:db8::1"), true))
	want(t, k, "198.51.100.1/32 via 198.18.0.12", "198.51.100.2/32 via 198.18.0.13", "198.51.100.3/32 via 198.18.0.12")
	if _, err := os.Stat(journal); err != nil {
		t.Errorf("no journal while routes are in place: %v", err)
	}

	for _, step := range []struct {
		dst   netip.Addr
		lines []string
	}{
		{a, []string{"198.51.100.1/32 via 198.18.0.12", "198.51.100.2/32 via 198.18.0.13", "198.51.100.3/32 via 198.18.0.12"}},
		{a, []string{"198.51.100.2/32 via 198.18.0.13", "198.51.100.3/32 via 198.18.0.12"}},
		{b, []string{"198.51.100.3/32 via 198.18.0.12"}},
	} {
		had, err := m.Release(step.dst)
		must(t, err)
		if !had {
			t.Errorf("Release(%s): no user", step.dst)
		}
		want(t, k, step.lines...)
	}
	if had, _ := m.Release(b); had {
		t.Error("Release of an address without user reported one")
	}
	must(t, m.Close())
	want(t, k)
	if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after Close: %v", err)
	}
}

// A peer that dialled us pins its address without a route, as long as
// it or a tunnel of ours uses it.
func TestServedPeerGetsNoRoute(t *testing.T) {
	k := newFake()
	m, _ := open(t, k)
	must(t, m.Acquire(a, false))
	must(t, m.Acquire(a, true))
	want(t, k)
	m.Release(a)
	m.Release(a)
	must(t, m.Acquire(a, true))
	want(t, k, "198.51.100.1/32 via 198.18.0.12")
}

func TestFailedRouteIsNotCounted(t *testing.T) {
	k := newFake()
	m, journal := open(t, k)
	k.fail = errors.New("Nexthop has invalid gateway")
	if err := m.Acquire(a, true); err == nil || !strings.Contains(err.Error(), "198.51.100.1/32 via 198.18.0.12") {
		t.Fatalf("Acquire with a failing kernel: %v", err)
	}
	if had, _ := m.Release(a); had {
		t.Error("the failed address kept a user")
	}
	if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left for a route never made: %v", err)
	}
}

// The next start removes what a crashed run left.
func TestRecoverAfterCrash(t *testing.T) {
	k := newFake()
	m, journal := open(t, k)
	must(t, m.Acquire(a, true))
	must(t, m.Acquire(b, true))
	// The process dies here: no Close.
	must(t, Recover(k, journal))
	want(t, k)
	if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal left after recovery: %v", err)
	}
}

func TestCorruptJournal(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "remotegw.json")
	must(t, os.WriteFile(journal, []byte("{not json"), 0o644))
	err := Recover(newFake(), journal)
	if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), "ip -4 route") {
		t.Fatalf("Recover with a corrupt journal: %v", err)
	}
	if err := Recover(newFake(), journal); err != nil {
		t.Errorf("the corrupt journal was not removed: %v", err)
	}
}

func TestOpenChecksGateways(t *testing.T) {
	dir := t.TempDir()
	for _, gws := range [][]netip.Addr{nil, {netip.MustParseAddr("2001:db8::1")}} {
		if _, err := Open(newFake(), filepath.Join(dir, "j"), gws); err == nil {
			t.Errorf("Open with gateways %v: no error", gws)
		}
	}
}

func ExampleRoute() {
	fmt.Println(Route{Dst: a, Via: gw1})
	// Output: 198.51.100.1/32 via 198.18.0.12
}
