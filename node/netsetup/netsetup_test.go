package netsetup

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"re6st-tui/node/netlab"
)

// fakeSystem keeps state as a set of "kind what" strings.
type fakeSystem struct {
	state   map[string]bool
	sysctl  map[string]string
	failOn  string
	actions []string
}

func newFake() *fakeSystem {
	return &fakeSystem{state: map[string]bool{"lo fe80::/64": true}, sysctl: map[string]string{"net.ipv6.conf.all.forwarding": "0", "net.ipv4.ip_forward": "0"}}
}

func (f *fakeSystem) set(key string, on bool) error {
	f.actions = append(f.actions, fmt.Sprintf("%v %s", on, key))
	if key == f.failOn {
		return errors.New("refused")
	}
	if !on && !f.state[key] {
		return os.ErrNotExist
	}
	f.state[key] = on
	if !on {
		delete(f.state, key)
	}
	return nil
}

func (f *fakeSystem) AddAddr(i string, a netip.Prefix) error { return f.set(i+" "+a.String(), true) }
func (f *fakeSystem) DelAddr(i string, a netip.Prefix) error { return f.set(i+" "+a.String(), false) }
func (f *fakeSystem) AddUnreachable(d netip.Prefix) error {
	return f.set("unreachable "+d.String(), true)
}
func (f *fakeSystem) DelUnreachable(d netip.Prefix) error {
	return f.set("unreachable "+d.String(), false)
}
func (f *fakeSystem) DelLinkLocalRoute(i string) (bool, error) {
	had := f.state[i+" fe80::/64"]
	return had, f.set(i+" fe80::/64", false)
}
func (f *fakeSystem) AddLinkLocalRoute(i string) error { return f.set(i+" fe80::/64", true) }
func (f *fakeSystem) Sysctl(k string) (string, error)  { return f.sysctl[k], nil }
func (f *fakeSystem) SetSysctl(k, v string) error      { f.sysctl[k] = v; return nil }

func (f *fakeSystem) String() string {
	var s []string
	for k := range f.state {
		s = append(s, k)
	}
	for k, v := range f.sysctl {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, "\n")
}

var plan = Plan{
	MainIface:   "lo",
	NodeAddr:    netip.MustParsePrefix("2001:db8:42:1::1/64"),
	Network:     netip.MustParsePrefix("2001:db8:42::/48"),
	IPv4Network: netip.MustParsePrefix("198.18.128.0/17"),
}

func TestApplyAndUndo(t *testing.T) {
	f := newFake()
	before := f.String()
	journal := filepath.Join(t.TempDir(), "netsetup.json")
	s, err := Apply(f, journal, plan)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lo 2001:db8:42:1::1/64", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "unreachable 198.18.128.0/17", "unreachable 2001:db8:42::/48"}
	if got := strings.Split(f.String(), "\n"); !slices.Equal(got, want) {
		t.Errorf("after apply:\n%s\nwant:\n%s", f, strings.Join(want, "\n"))
	}
	if _, err := os.Stat(journal); err != nil {
		t.Errorf("no journal: %v", err)
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if f.String() != before {
		t.Errorf("after undo:\n%s\nwant:\n%s", f, before)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Error("journal left after undo")
	}
}

func TestCrashedRunIsUndoneAtNextStart(t *testing.T) {
	f := newFake()
	before := f.String()
	journal := filepath.Join(t.TempDir(), "netsetup.json")
	if _, err := Apply(f, journal, plan); err != nil {
		t.Fatal(err)
	}
	// The process dies here. The next run uses another network.
	other := plan
	other.Network = netip.MustParsePrefix("2001:db8:43::/48")
	other.NodeAddr = netip.MustParsePrefix("2001:db8:43:1::1/64")
	s, err := Apply(f, journal, other)
	if err != nil {
		t.Fatal(err)
	}
	if f.state["unreachable 2001:db8:42::/48"] || f.state["lo 2001:db8:42:1::1/64"] {
		t.Errorf("leftovers of the crashed run remain:\n%s", f)
	}
	s.Undo()
	if f.String() != before {
		t.Errorf("after undo:\n%s\nwant:\n%s", f, before)
	}
}

func TestFailureUndoesWhatWasDone(t *testing.T) {
	f := newFake()
	before := f.String()
	f.failOn = "unreachable 198.18.128.0/17"
	_, err := Apply(f, filepath.Join(t.TempDir(), "j.json"), plan)
	if err == nil || !strings.Contains(err.Error(), "add unreachable route 198.18.128.0/17") {
		t.Fatalf("error %v", err)
	}
	if f.String() != before {
		t.Errorf("after a failed apply:\n%s\nwant:\n%s", f, before)
	}
}

func TestCorruptJournal(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "j.json")
	os.WriteFile(journal, []byte("{half"), 0o644)
	if err := Recover(newFake(), journal); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("error %v", err)
	}
	if _, err := os.Stat(journal); !os.IsNotExist(err) {
		t.Error("corrupt journal kept")
	}
}

func TestLabSetup(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 1})
	h := l.Host("h1")
	if err := h.Sysctl("net.ipv6.conf.all.forwarding", "0"); err != nil {
		t.Fatal(err)
	}
	show := func() string {
		return h.Run(t, "ip", "-6", "addr", "show", "dev", "lo") + h.Run(t, "ip", "-6", "route", "show", "table", "all") +
			h.Run(t, "ip", "-4", "route", "show", "table", "all") + h.Run(t, "sysctl", "net.ipv6.conf.all.forwarding")
	}
	before := show()
	sys := Netlink{Handle: h.Handle(), Do: h.Do}
	journal := filepath.Join(t.TempDir(), "netsetup.json")
	if _, err := Apply(sys, journal, plan); err != nil {
		t.Fatal(err)
	}
	routes := h.Run(t, "ip", "-6", "route")
	for _, want := range []string{"unreachable 2001:db8:42::/48", "2001:db8:42:1::/64 dev lo"} {
		if !strings.Contains(routes, want) {
			t.Errorf("routes lack %q:\n%s", want, routes)
		}
	}
	if strings.Contains(h.Run(t, "ip", "-6", "route", "show", "dev", "lo"), "fe80::/64") {
		t.Error("fe80::/64 still routed on lo")
	}
	if !strings.Contains(h.Run(t, "ip", "-4", "route"), "unreachable 198.18.128.0/17 proto static") {
		t.Error("no IPv4 unreachable route")
	}
	// A second start after a crash: recovered, then applied again.
	s, err := Apply(sys, journal, plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if after := show(); after != before {
		t.Errorf("undo did not restore the namespace.\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// IPv4 forwarding is a node's business only when the network carries IPv4.
func TestIPv4ForwardingOnlyWithIPv4(t *testing.T) {
	f := newFake()
	p := plan
	p.IPv4Network = netip.Prefix{}
	if _, err := Apply(f, filepath.Join(t.TempDir(), "netsetup.json"), p); err != nil {
		t.Fatal(err)
	}
	if f.sysctl["net.ipv4.ip_forward"] != "0" {
		t.Errorf("ip_forward set to %q without IPv4 payload", f.sysctl["net.ipv4.ip_forward"])
	}
}
