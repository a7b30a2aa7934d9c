package system

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Route is one kernel route: IPv6, or IPv4 from [Kernel.IPv4Routes].
type Route struct {
	Dst    netip.Prefix // ::/0 (or 0.0.0.0/0) for a default route
	Src    netip.Prefix // source prefix ("from"); invalid when none
	Via    netip.Addr   // gateway; invalid for a direct route
	Dev    string
	Table  int // 254 is main
	Metric int
	Proto  int // RTPROT_*: 3 boot, 4 static, 9 ra, 42 babel
	Type   int // RTN_*: 1 unicast, 7 unreachable
	// PrefSrc is the preferred source address (RTA_PREFSRC); invalid when
	// none. It is not part of the key.
	PrefSrc netip.Addr
	// Cloned marks a cached route (RTM_F_CLONED), one the kernel made
	// for a destination rather than one anyone added.
	Cloned bool
}

// Well-known values of Route fields.
const (
	TableMain   = unix.RT_TABLE_MAIN
	ProtoStatic = unix.RTPROT_STATIC
	ProtoRA     = unix.RTPROT_RA
	ProtoBabel  = 42
	TypeUnicast = unix.RTN_UNICAST
	TypeUnreach = unix.RTN_UNREACHABLE
)

// IsDefault reports whether r is a default route, with or without source.
func (r Route) IsDefault() bool { return r.Dst.IsValid() && r.Dst.Bits() == 0 }

// HasSrc reports whether r is source-specific.
func (r Route) HasSrc() bool { return r.Src.IsValid() && r.Src.Bits() > 0 }

// Key is what the kernel tells routes apart by; two routes with one key
// cannot both exist.
func (r Route) Key() string {
	return fmt.Sprintf("%v from %v table %d metric %d", r.Dst, r.Src, r.Table, r.Metric)
}

var protoNames = map[int]string{2: "kernel", 3: "boot", 4: "static", 9: "ra", 16: "dhcp", 42: "babel"}

// String prints r the way `ip route` does.
func (r Route) String() string {
	var b strings.Builder
	switch r.Type {
	case TypeUnreach:
		b.WriteString("unreachable ")
	}
	if r.IsDefault() {
		b.WriteString("default")
	} else {
		b.WriteString(r.Dst.String())
	}
	if r.HasSrc() {
		fmt.Fprintf(&b, " from %v", r.Src)
	}
	if r.Via.IsValid() {
		fmt.Fprintf(&b, " via %v", r.Via)
	}
	if r.Dev != "" {
		fmt.Fprintf(&b, " dev %s", r.Dev)
	}
	if r.Table != 0 && r.Table != TableMain {
		fmt.Fprintf(&b, " table %d", r.Table)
	}
	if p, ok := protoNames[r.Proto]; ok {
		fmt.Fprintf(&b, " proto %s", p)
	} else if r.Proto != 0 {
		fmt.Fprintf(&b, " proto %d", r.Proto)
	}
	if r.PrefSrc.IsValid() {
		fmt.Fprintf(&b, " src %v", r.PrefSrc)
	}
	fmt.Fprintf(&b, " metric %d", r.Metric)
	return b.String()
}
