package remotegw

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/renameio/v2"
)

// Route is a host route to Dst through Via.
type Route struct {
	Dst netip.Addr `json:"dst"`
	Via netip.Addr `json:"via"`
}

func (r Route) String() string { return fmt.Sprintf("%s/32 via %s", r.Dst, r.Via) }

// Kernel makes and removes routes.
type Kernel interface {
	Add(Route) error
	// Delete removes r; a route already gone is not an error.
	Delete(Route) error
}

// user counts the users of one remote address and holds its route, if
// it got one.
type user struct {
	count int
	via   netip.Addr // invalid: no route
}

// Manager holds the routes. It is not safe for concurrent use: the node
// calls it from its event loop.
type Manager struct {
	kernel   Kernel
	journal  string
	gateways []netip.Addr
	next     int
	users    map[netip.Addr]*user
}

// Open returns a manager routing through gateways and recording its
// routes in the journal file. Call [Recover] first: Open overwrites what
// a previous run left in the journal.
func Open(k Kernel, journal string, gateways []netip.Addr) (*Manager, error) {
	if len(gateways) == 0 {
		return nil, errors.New("remote gateways: none given")
	}
	for _, gw := range gateways {
		if !gw.Is4() {
			return nil, fmt.Errorf("remote gateway %s: give an IPv4 address", gw)
		}
	}
	return &Manager{kernel: k, journal: journal, gateways: slices.Clone(gateways), users: map[netip.Addr]*user{}}, nil
}

// Acquire counts one more user of dst. The first user gets a route
// through the next gateway in turn when route is true (a tunnel we
// dial), none otherwise (a peer that dialled us). Addresses other than
// IPv4 are not routed and not counted.
func (m *Manager) Acquire(dst netip.Addr, route bool) error {
	dst = dst.Unmap()
	if !dst.Is4() {
		return nil
	}
	if u := m.users[dst]; u != nil {
		u.count++
		return nil
	}
	u := &user{count: 1}
	if route {
		r := Route{Dst: dst, Via: m.gateways[m.next]}
		m.next = (m.next + 1) % len(m.gateways)
		u.via = r.Via
		m.users[dst] = u
		if err := m.save(); err != nil {
			delete(m.users, dst)
			return err
		}
		if err := m.kernel.Add(r); err != nil {
			delete(m.users, dst)
			m.save()
			return fmt.Errorf("route %s: %w", r, err)
		}
		return nil
	}
	m.users[dst] = u
	return nil
}

// Release counts one user of dst less, and removes its route with the
// last one. It reports whether dst had a user.
func (m *Manager) Release(dst netip.Addr) (bool, error) {
	dst = dst.Unmap()
	u := m.users[dst]
	if u == nil {
		return false, nil
	}
	if u.count--; u.count > 0 {
		return true, nil
	}
	delete(m.users, dst)
	if !u.via.IsValid() {
		return true, nil
	}
	err := m.kernel.Delete(Route{Dst: dst, Via: u.via})
	return true, errors.Join(err, m.save())
}

// Routes lists the routes in place, by address.
func (m *Manager) Routes() []Route {
	var out []Route
	for dst, u := range m.users {
		if u.via.IsValid() {
			out = append(out, Route{Dst: dst, Via: u.via})
		}
	}
	slices.SortFunc(out, func(a, b Route) int { return a.Dst.Compare(b.Dst) })
	return out
}

// Close removes every route, whoever still uses it.
func (m *Manager) Close() error {
	var errs []error
	for _, r := range m.Routes() {
		if err := m.kernel.Delete(r); err != nil {
			errs = append(errs, fmt.Errorf("remove route %s: %w", r, err))
		}
	}
	clear(m.users)
	return errors.Join(append(errs, m.save())...)
}

// save writes the routes to the journal, then renames it into place; no
// route, no journal.
func (m *Manager) save() error {
	routes := m.Routes()
	if len(routes) == 0 {
		if err := os.Remove(m.journal); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remote gateways: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(routes, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.journal), 0o755); err != nil {
		return fmt.Errorf("remote gateways: journal directory: %w", err)
	}
	if err := renameio.WriteFile(m.journal, b, 0o644); err != nil {
		return fmt.Errorf("remote gateways: write journal: %w", err)
	}
	return nil
}

// Recover removes the routes a run that did not stop cleanly recorded in
// the journal file, and the journal.
func Recover(k Kernel, journal string) error {
	b, err := os.ReadFile(journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remote gateways: %w", err)
	}
	var routes []Route
	if err := json.Unmarshal(b, &routes); err != nil {
		os.Remove(journal)
		return fmt.Errorf("remote gateways: journal %s is corrupt (%v); removed it: check `ip -4 route` for host routes left by the previous run", journal, err)
	}
	var errs []error
	for _, r := range routes {
		if err := k.Delete(r); err != nil {
			errs = append(errs, fmt.Errorf("remove route %s left by the previous run: %w (remove it by hand)", r, err))
		}
	}
	// Tried once: a route that could not go now is for a person to see to.
	os.Remove(journal)
	return errors.Join(errs...)
}
