package kernel

import (
	"fmt"
	"net/netip"
	"strings"
)

// ProtoBabel is the routing protocol number babeld uses (RTPROT_BABEL).
const ProtoBabel = 42

// Route is one kernel route as the Babel speaker wants it.
type Route struct {
	Dst netip.Prefix
	// Src is the source prefix (RTA_SRC); Bits() == 0 or invalid means none.
	Src netip.Prefix
	// Gateway is the next hop, invalid for unreachable routes.
	Gateway netip.Addr
	Ifindex int
	// PrefSrc is the preferred source address (RTA_PREFSRC), optional.
	PrefSrc netip.Addr
	// Unreachable installs a blackhole that answers ICMP unreachable.
	Unreachable bool
	// Metric is the route priority; 0 lets the kernel pick (1024 for IPv6).
	Metric uint32
	// Table is the routing table; 0 means main.
	Table int
}

// Key identifies a route in the kernel: destination, source and table.
type Key struct {
	Dst, Src netip.Prefix
	Table    int
}

// Key returns r's identity.
func (r Route) Key() Key {
	src := r.Src
	if src.IsValid() && src.Bits() == 0 {
		src = netip.Prefix{}
	}
	return Key{Dst: r.Dst, Src: src, Table: r.Table}
}

// String formats r like `ip -6 route`.
func (r Route) String() string {
	var b strings.Builder
	if r.Unreachable {
		b.WriteString("unreachable ")
	}
	if r.Dst.Bits() == 0 {
		b.WriteString("default")
	} else {
		b.WriteString(r.Dst.String())
	}
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		fmt.Fprintf(&b, " from %v", r.Src)
	}
	if r.Gateway.IsValid() {
		fmt.Fprintf(&b, " via %v", r.Gateway)
	}
	if r.Ifindex != 0 {
		fmt.Fprintf(&b, " dev %d", r.Ifindex)
	}
	if r.PrefSrc.IsValid() {
		fmt.Fprintf(&b, " src %v", r.PrefSrc)
	}
	if r.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", r.Metric)
	}
	if r.Table != 0 {
		fmt.Fprintf(&b, " table %d", r.Table)
	}
	return b.String()
}
