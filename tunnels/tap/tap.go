package tap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vishvananda/netlink"
)

// Prefix starts the name of every device this package manages.
const Prefix = "re6stnet"

// Devices is what the tunnels need from tap devices; [Links] is the real
// one, tests may fake it.
type Devices interface {
	Create(name string) error
	Up(name string, mtu int) error
	Remove(name string) error
	Stale() ([]string, error)
}

// Links manages tap devices in one network namespace.
type Links struct {
	// Handle is the netlink handle of the namespace (nil: the current one).
	Handle *netlink.Handle
	// Do runs fn on a thread inside the namespace. Creating a tap opens
	// /dev/net/tun, which happens in the calling thread's namespace, not
	// through the handle. nil runs fn directly.
	Do func(fn func() error) error
}

func (l Links) h() *netlink.Handle {
	if l.Handle != nil {
		return l.Handle
	}
	return &netlink.Handle{}
}

// Create makes a persistent tap device named name (kept down). An
// existing device of that name is reused if it is a tap.
func (l Links) Create(name string) error {
	if len(name) > 15 {
		return fmt.Errorf("tap name %q longer than 15 bytes", name)
	}
	if link, err := l.h().LinkByName(name); err == nil {
		if t, ok := link.(*netlink.Tuntap); ok && t.Mode == netlink.TUNTAP_MODE_TAP {
			return nil
		}
		return fmt.Errorf("create tap %s: a %s device has that name; delete it (ip link del %s)", name, link.Type(), name)
	}
	t := &netlink.Tuntap{
		LinkAttrs: netlink.LinkAttrs{Name: name},
		Mode:      netlink.TUNTAP_MODE_TAP,
		Flags:     netlink.TUNTAP_NO_PI | netlink.TUNTAP_ONE_QUEUE,
	}
	create := func() error {
		if err := l.h().LinkAdd(t); err != nil {
			return err
		}
		// netlink keeps the queue fds open; OpenVPN opens its own.
		for _, f := range t.Fds {
			f.Close()
		}
		return nil
	}
	var err error
	if l.Do != nil {
		err = l.Do(create)
	} else {
		err = create()
	}
	if err != nil {
		return fmt.Errorf("create tap %s: %w (needs CAP_NET_ADMIN and /dev/net/tun)", name, err)
	}
	return nil
}

// Up sets the MTU and brings the device up: what re6st's --up hook did,
// since OpenVPN leaves a tap without --ifconfig down.
func (l Links) Up(name string, mtu int) error {
	link, err := l.h().LinkByName(name)
	if err != nil {
		return fmt.Errorf("bring up %s: %w", name, err)
	}
	if mtu > 0 && link.Attrs().MTU != mtu {
		if err := l.h().LinkSetMTU(link, mtu); err != nil {
			return fmt.Errorf("set mtu %d on %s: %w", mtu, name, err)
		}
	}
	if err := l.h().LinkSetUp(link); err != nil {
		return fmt.Errorf("bring up %s: %w", name, err)
	}
	return nil
}

// Remove deletes the device; a missing one is not an error.
func (l Links) Remove(name string) error {
	link, err := l.h().LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("remove %s: %w", name, err)
	}
	if err := l.h().LinkDel(link); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return nil
}

// Stale lists tap devices whose name starts with Prefix: at start, those
// are leftovers of a previous run.
func (l Links) Stale() ([]string, error) {
	links, err := l.h().LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var names []string
	for _, link := range links {
		t, ok := link.(*netlink.Tuntap)
		if ok && t.Mode == netlink.TUNTAP_MODE_TAP && strings.HasPrefix(link.Attrs().Name, Prefix) {
			names = append(names, link.Attrs().Name)
		}
	}
	return names, nil
}
