package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Netlink installs routes in the namespace its socket was opened in. It
// builds the rtnetlink messages itself because vishvananda/netlink's Route
// cannot carry a source prefix (RTA_SRC).
type Netlink struct {
	sock *nl.SocketHandle
	// Proto is the routing protocol of our routes (default ProtoBabel).
	proto uint8

	mu        sync.Mutex // guards installed
	installed map[Key]Route
}

// Open opens a netlink socket in the calling thread's network namespace
// (call it inside the namespace: the socket stays there).
func Open() (*Netlink, error) { return OpenAt(netns.None()) }

// OpenAt opens a netlink socket in namespace ns.
func OpenAt(ns netns.NsHandle) (*Netlink, error) {
	s, err := nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("open rtnetlink socket: %w (need CAP_NET_ADMIN)", err)
	}
	return &Netlink{sock: &nl.SocketHandle{Socket: s}, proto: ProtoBabel, installed: map[Key]Route{}}, nil
}

// Close closes the socket; it does not remove routes (see [Netlink.Flush]).
func (n *Netlink) Close() { n.sock.Close() }

func (n *Netlink) request(typ, flags int) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(typ, flags)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: n.sock}
	return req
}

func family(p netip.Prefix) uint8 {
	if p.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// message builds the rtmsg and attributes of r.
func (n *Netlink) message(req *nl.NetlinkRequest, r Route) {
	msg := nl.NewRtMsg()
	msg.Family = family(r.Dst)
	msg.Dst_len = uint8(r.Dst.Bits())
	msg.Protocol = n.proto
	table := r.Table
	if table == 0 {
		table = unix.RT_TABLE_MAIN
	}
	if table < 256 {
		msg.Table = uint8(table)
	} else {
		msg.Table = unix.RT_TABLE_UNSPEC
	}
	if r.Unreachable {
		msg.Type = unix.RTN_UNREACHABLE
	} else if r.Gateway.IsValid() {
		msg.Flags = unix.RTNH_F_ONLINK
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		msg.Src_len = uint8(r.Src.Bits())
	}
	req.AddData(msg)
	if r.Dst.Bits() > 0 {
		req.AddData(nl.NewRtAttr(unix.RTA_DST, r.Dst.Masked().Addr().AsSlice()))
	}
	if msg.Src_len > 0 {
		req.AddData(nl.NewRtAttr(unix.RTA_SRC, r.Src.Masked().Addr().AsSlice()))
	}
	if table >= 256 {
		req.AddData(nl.NewRtAttr(unix.RTA_TABLE, nl.Uint32Attr(uint32(table))))
	}
	if gw := r.Gateway.Unmap(); gw.IsValid() && !r.Unreachable {
		if gw.Is4() == r.Dst.Addr().Is4() {
			req.AddData(nl.NewRtAttr(unix.RTA_GATEWAY, gw.AsSlice()))
		} else {
			// An IPv4 route through an IPv6 next hop (v4-via-v6).
			req.AddData(nl.NewRtAttr(unix.RTA_VIA, via(gw)))
		}
	}
	if r.Ifindex != 0 && !r.Unreachable {
		req.AddData(nl.NewRtAttr(unix.RTA_OIF, nl.Uint32Attr(uint32(r.Ifindex))))
	}
	if r.PrefSrc.IsValid() && !r.Unreachable {
		req.AddData(nl.NewRtAttr(unix.RTA_PREFSRC, r.PrefSrc.Unmap().AsSlice()))
	}
	if r.Metric != 0 {
		req.AddData(nl.NewRtAttr(unix.RTA_PRIORITY, nl.Uint32Attr(r.Metric)))
	}
}

// via is the RTA_VIA attribute for gw: its address family, then its
// address (struct rtvia).
func via(gw netip.Addr) []byte {
	fam := uint16(unix.AF_INET)
	if gw.Is6() {
		fam = unix.AF_INET6
	}
	return append(binary.NativeEndian.AppendUint16(nil, fam), gw.AsSlice()...)
}

func (n *Netlink) exec(typ, flags int, r Route) error {
	req := n.request(typ, flags|unix.NLM_F_ACK)
	n.message(req, r)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// Replace installs r, replacing our previous route with the same key. A
// change of metric or type adds the new route before deleting the old one.
func (n *Netlink) Replace(r Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	old, had := n.installed[r.Key()]
	if had && old == r {
		return nil
	}
	if err := n.exec(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, r); err != nil {
		if r.Src.IsValid() && r.Src.Bits() > 0 && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EAFNOSUPPORT)) {
			err = fmt.Errorf("%w: %w", ErrNoSubtrees, err)
		}
		return fmt.Errorf("install route %v: %w", r, err)
	}
	if had && (old.Metric != r.Metric || old.Unreachable != r.Unreachable) {
		if err := n.exec(unix.RTM_DELROUTE, 0, old); err != nil && !errors.Is(err, syscall.ESRCH) {
			n.installed[r.Key()] = r
			return fmt.Errorf("remove replaced route %v: %w", old, err)
		}
	}
	n.installed[r.Key()] = r
	return nil
}

// Delete removes our route with r's key.
func (n *Netlink) Delete(r Route) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.installed[r.Key()]; ok {
		r = old
	}
	delete(n.installed, r.Key())
	if err := n.exec(unix.RTM_DELROUTE, 0, r); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("remove route %v: %w", r, ErrNotFound)
		}
		return fmt.Errorf("remove route %v: %w", r, err)
	}
	return nil
}

// Routes lists the kernel routes of our protocol, in every table.
func (n *Netlink) Routes() ([]Route, error) {
	var rs []Route
	for _, fam := range []int{unix.AF_INET6, unix.AF_INET} {
		req := n.request(unix.RTM_GETROUTE, unix.NLM_F_DUMP)
		req.AddData(&nl.RtMsg{RtMsg: unix.RtMsg{Family: uint8(fam)}})
		msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWROUTE)
		if err != nil {
			return nil, fmt.Errorf("list routes: %w", err)
		}
		for _, m := range msgs {
			if r, ok := n.parse(m); ok {
				rs = append(rs, r)
			}
		}
	}
	return rs, nil
}

func (n *Netlink) parse(m []byte) (Route, bool) {
	if len(m) < unix.SizeofRtMsg {
		return Route{}, false
	}
	msg := nl.DeserializeRtMsg(m)
	if msg.Protocol != n.proto {
		return Route{}, false
	}
	attrs, err := nl.ParseRouteAttr(m[unix.SizeofRtMsg:])
	if err != nil {
		return Route{}, false
	}
	zero := netip.IPv6Unspecified()
	if msg.Family == unix.AF_INET {
		zero = netip.IPv4Unspecified()
	}
	r := Route{Dst: netip.PrefixFrom(zero, int(msg.Dst_len)), Table: int(msg.Table), Unreachable: msg.Type == unix.RTN_UNREACHABLE}
	if msg.Src_len > 0 {
		r.Src = netip.PrefixFrom(zero, int(msg.Src_len))
	}
	for _, a := range attrs {
		addr, _ := netip.AddrFromSlice(a.Value)
		switch a.Attr.Type {
		case unix.RTA_DST:
			r.Dst = netip.PrefixFrom(addr, int(msg.Dst_len))
		case unix.RTA_SRC:
			r.Src = netip.PrefixFrom(addr, int(msg.Src_len))
		case unix.RTA_GATEWAY:
			r.Gateway = addr
		case unix.RTA_VIA:
			if len(a.Value) > 2 {
				r.Gateway, _ = netip.AddrFromSlice(a.Value[2:])
			}
		case unix.RTA_PREFSRC:
			r.PrefSrc = addr
		case unix.RTA_OIF:
			if len(a.Value) == 4 {
				r.Ifindex = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.RTA_PRIORITY:
			if len(a.Value) == 4 {
				r.Metric = binary.NativeEndian.Uint32(a.Value)
			}
		case unix.RTA_TABLE:
			if len(a.Value) == 4 {
				r.Table = int(binary.NativeEndian.Uint32(a.Value))
			}
		}
	}
	if r.Table == unix.RT_TABLE_MAIN {
		r.Table = 0
	}
	return r, true
}

// Flush removes every route of our protocol: what we installed, and what a
// previous run left behind after a crash.
func (n *Netlink) Flush() error {
	rs, err := n.Routes()
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for _, r := range rs {
		if err := n.exec(unix.RTM_DELROUTE, 0, r); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("remove route %v: %w", r, err))
		}
	}
	n.installed = map[Key]Route{}
	return errors.Join(errs...)
}

// probe prefixes: documentation space, in a private table, removed at once.
var (
	probeDst   = netip.MustParsePrefix("2001:db8:ffff:ffff::/64")
	probeSrc   = netip.MustParsePrefix("2001:db8:ffff:fffe::/64")
	probeTable = 0x7e6b
)

// Subtrees reports whether the kernel accepts IPv6 source-specific routes
// (CONFIG_IPV6_SUBTREES), by installing and removing one.
func (n *Netlink) Subtrees() bool {
	r := Route{Dst: probeDst, Src: probeSrc, Unreachable: true, Table: probeTable}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.exec(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, r); err != nil {
		return false
	}
	_ = n.exec(unix.RTM_DELROUTE, 0, r)
	return true
}
