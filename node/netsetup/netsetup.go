package netsetup

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// Plan is what a node sets up.
type Plan struct {
	MainIface string
	// NodeAddr is the node IP with the subnet length (subnet::1/64).
	NodeAddr netip.Prefix
	// Network gets an unreachable route.
	Network netip.Prefix
	// IPv4Network gets an unreachable route when the network carries IPv4.
	IPv4Network netip.Prefix
	// IPv4Addr goes on the main interface of a node without tunnel manager
	// (/32); IPv4Subnet then gets an unreachable route when that interface
	// is lo.
	IPv4Addr   netip.Addr
	IPv4Subnet netip.Prefix
}

// Change is one undoable change, as recorded in the journal.
type Change struct {
	Kind  string       `json:"kind"` // "addr", "unreachable", "sysctl", "route-removed"
	Iface string       `json:"iface,omitempty"`
	Addr  netip.Prefix `json:"addr,omitzero"`
	Key   string       `json:"key,omitempty"`
	Old   string       `json:"old,omitempty"`
	New   string       `json:"new,omitempty"`
}

// System is the kernel, as set-up needs it.
type System interface {
	AddAddr(iface string, a netip.Prefix) error
	DelAddr(iface string, a netip.Prefix) error
	AddUnreachable(dst netip.Prefix) error
	DelUnreachable(dst netip.Prefix) error
	// DelLinkLocalRoute removes fe80::/64 from iface, reporting whether it
	// was there.
	DelLinkLocalRoute(iface string) (bool, error)
	AddLinkLocalRoute(iface string) error
	Sysctl(key string) (string, error)
	SetSysctl(key, value string) error
}

// Setup is an applied plan.
type Setup struct {
	sys     System
	journal string
	done    []Change
}

// sysctls a node needs: it forwards packets between its tunnels.
var sysctls = [][2]string{
	{"net.ipv6.conf.all.forwarding", "1"},
}

// Apply undoes what a crashed run left (per the journal at journal), then
// applies the plan. On error, what was applied is undone.
func Apply(sys System, journal string, p Plan) (*Setup, error) {
	if err := Recover(sys, journal); err != nil {
		return nil, fmt.Errorf("undo the previous run's network set-up: %w", err)
	}
	s := &Setup{sys: sys, journal: journal}
	if err := s.apply(p); err != nil {
		return nil, errors.Join(err, s.Undo())
	}
	return s, nil
}

func (s *Setup) apply(p Plan) error {
	want := sysctls
	if p.IPv4Network.IsValid() {
		// It forwards the network's IPv4 packets too.
		want = append(want[:len(want):len(want)], [2]string{"net.ipv4.ip_forward", "1"})
	}
	for _, kv := range want {
		old, err := s.sys.Sysctl(kv[0])
		if err != nil {
			return fmt.Errorf("read %s: %w", kv[0], err)
		}
		if old == kv[1] {
			continue
		}
		if err := s.do(Change{Kind: "sysctl", Key: kv[0], Old: old, New: kv[1]}); err != nil {
			return err
		}
	}
	if err := s.do(Change{Kind: "addr", Iface: p.MainIface, Addr: p.NodeAddr}); err != nil {
		return err
	}
	if p.MainIface == "lo" {
		// The kernel puts a useless fe80::/64 route on lo with the address.
		if err := s.record(Change{Kind: "route-removed", Iface: "lo"}); err != nil {
			return err
		}
		if ok, err := s.sys.DelLinkLocalRoute("lo"); err != nil {
			return fmt.Errorf("remove fe80::/64 from lo: %w", err)
		} else if !ok {
			s.done = s.done[:len(s.done)-1]
		}
	}
	for _, dst := range []netip.Prefix{p.Network, p.IPv4Network} {
		if dst.IsValid() {
			if err := s.do(Change{Kind: "unreachable", Addr: dst}); err != nil {
				return err
			}
		}
	}
	if p.IPv4Addr.IsValid() {
		if err := s.do(Change{Kind: "addr", Iface: p.MainIface, Addr: netip.PrefixFrom(p.IPv4Addr, 32)}); err != nil {
			return err
		}
		if p.MainIface == "lo" && p.IPv4Subnet.IsValid() {
			if err := s.do(Change{Kind: "unreachable", Addr: p.IPv4Subnet}); err != nil {
				return err
			}
		}
	}
	return s.save()
}

// do journals a change, then makes it.
func (s *Setup) do(c Change) error {
	if err := s.record(c); err != nil {
		return err
	}
	var err error
	switch c.Kind {
	case "sysctl":
		err = s.sys.SetSysctl(c.Key, c.New)
	case "addr":
		err = s.sys.AddAddr(c.Iface, c.Addr)
	case "unreachable":
		err = s.sys.AddUnreachable(c.Addr)
	}
	if err != nil {
		s.done = s.done[:len(s.done)-1]
		s.save()
		return fmt.Errorf("%s: %w", describe(c), err)
	}
	return nil
}

func (s *Setup) record(c Change) error {
	s.done = append(s.done, c)
	return s.save()
}

func describe(c Change) string {
	switch c.Kind {
	case "sysctl":
		return fmt.Sprintf("sysctl %s=%s", c.Key, c.New)
	case "addr":
		return fmt.Sprintf("add %s to %s", c.Addr, c.Iface)
	case "unreachable":
		return fmt.Sprintf("add unreachable route %s", c.Addr)
	}
	return "remove fe80::/64 from " + c.Iface
}

// save writes the journal atomically.
func (s *Setup) save() error {
	if len(s.done) == 0 {
		if err := os.Remove(s.journal); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.MarshalIndent(s.done, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.journal), 0o755); err != nil {
		return fmt.Errorf("journal directory: %w", err)
	}
	if err := renameio.WriteFile(s.journal, b, 0o644); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// Undo reverts every change, newest first, and removes the journal.
func (s *Setup) Undo() error {
	var errs []error
	for i := len(s.done) - 1; i >= 0; i-- {
		if err := undo(s.sys, s.done[i]); err != nil {
			errs = append(errs, err)
		}
	}
	s.done = nil
	if err := s.save(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func undo(sys System, c Change) error {
	var err error
	switch c.Kind {
	case "sysctl":
		err = sys.SetSysctl(c.Key, c.Old)
	case "addr":
		err = sys.DelAddr(c.Iface, c.Addr)
	case "unreachable":
		err = sys.DelUnreachable(c.Addr)
	case "route-removed":
		err = sys.AddLinkLocalRoute(c.Iface)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("undo %s: %w", describe(c), err)
	}
	return nil
}

// Recover undoes the changes recorded by a run that did not stop cleanly.
func Recover(sys System, journal string) error {
	b, err := os.ReadFile(journal)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var done []Change
	if err := json.Unmarshal(b, &done); err != nil {
		// A journal we cannot read is useless: say so, and start clean.
		os.Remove(journal)
		return fmt.Errorf("journal %s is corrupt (%v); removed it: check `ip -6 addr` and `ip -6 route` by hand", journal, err)
	}
	s := &Setup{sys: sys, journal: journal, done: done}
	return s.Undo()
}
