package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Netlink installs routes in the namespace its socket was opened in. It
// builds the rtnetlink messages itself because vishvananda/netlink's Route
// cannot carry a source prefix (RTA_SRC), and so that a batch of changes
// goes to the kernel in a few writes (see [Netlink.Apply]).
type Netlink struct {
	mu   sync.Mutex // guards the socket and the fields below
	sock *nl.SocketHandle
	// proto is the routing protocol of our routes (ProtoBabel).
	proto      uint8
	seq        uint32
	wbuf, rbuf []byte
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
	// Room for the error replies of a whole failed batch; best effort.
	if s.SetReceiveBufferSize(1<<20, true) != nil {
		_ = s.SetReceiveBufferSize(1<<20, false)
	}
	return &Netlink{sock: &nl.SocketHandle{Socket: s}, proto: ProtoBabel, seq: 1 << 30}, nil
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

// Replace installs r, replacing the route with the same destination,
// source, table and metric. A route with another metric is another route:
// remove it with [Netlink.Delete].
func (n *Netlink) Replace(r Route) error { return first(n.Apply([]Op{{Route: r}})) }

// Delete removes r.
func (n *Netlink) Delete(r Route) error { return first(n.Apply([]Op{{Delete: true, Route: r}})) }

func first(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

// Routes lists the kernel routes of our protocol, in every table.
func (n *Netlink) Routes() ([]Route, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
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
	ops := make([]Op, len(rs))
	for i, r := range rs {
		ops[i] = Op{Delete: true, Route: r}
	}
	var errs []error
	for _, err := range n.Apply(ops) {
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
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
	if n.Replace(r) != nil {
		return false
	}
	_ = n.Delete(r)
	return true
}
