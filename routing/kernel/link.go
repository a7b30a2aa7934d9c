package kernel

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Link is what the Babel speaker needs to know about an interface.
type Link struct {
	Name      string
	Index     int
	MTU       int
	Up        bool // administratively up with carrier
	LinkLocal netip.Addr
	IPv4      netip.Addr // the first IPv4 address, if any
}

// LookupLink finds an interface and its usable (non-tentative) fe80:: address,
// waiting up to wait for duplicate address detection to finish.
func LookupLink(ctx context.Context, name string, wait time.Duration) (Link, error) {
	deadline := time.Now().Add(wait)
	for {
		l, err := lookup(name)
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		select {
		case <-ctx.Done():
			return l, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func lookup(name string) (Link, error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return Link{}, fmt.Errorf("interface %s: %w", name, err)
	}
	a := link.Attrs()
	l := Link{Name: name, Index: a.Index, MTU: a.MTU, Up: linkUp(link)}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_V6)
	if err != nil {
		return l, fmt.Errorf("addresses of %s: %w", name, err)
	}
	if v4, err := netlink.AddrList(link, netlink.FAMILY_V4); err == nil && len(v4) > 0 {
		l.IPv4, _ = netip.AddrFromSlice(v4[0].IP.To4())
	}
	for _, ad := range addrs {
		ip, ok := netip.AddrFromSlice(ad.IP)
		if ok && ip.IsLinkLocalUnicast() && ad.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) == 0 {
			l.LinkLocal = ip
			return l, nil
		}
	}
	return l, fmt.Errorf("interface %s has no usable fe80:: address yet: bring it up and wait for DAD", name)
}

func linkUp(link netlink.Link) bool {
	a := link.Attrs()
	return a.Flags&(1<<0) != 0 && (a.OperState == netlink.OperUp || a.OperState == netlink.OperUnknown)
}

// WatchLinks subscribes to link changes in the calling thread's namespace
// and then calls fn, from its own goroutine, for every change until ctx
// ends, so that carrier loss is seen at once instead of after missed Hellos.
func WatchLinks(ctx context.Context, fn func(index int, name string, up bool)) error {
	ch := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	if err := netlink.LinkSubscribe(ch, done); err != nil {
		return fmt.Errorf("watch links: %w", err)
	}
	go func() {
		<-ctx.Done()
		close(done)
	}()
	go func() {
		for u := range ch {
			if u.Link == nil {
				continue
			}
			up := u.Header.Type != unix.RTM_DELLINK && linkUp(u.Link)
			fn(u.Link.Attrs().Index, u.Link.Attrs().Name, up)
		}
	}()
	return nil
}
