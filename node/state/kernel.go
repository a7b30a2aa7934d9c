package state

import "net/netip"

// Route origins, from the kernel's rtm_protocol.
const (
	OriginBabel  = "babel"  // installed by the Babel speaker
	OriginKernel = "kernel" // made by the kernel (connected prefixes)
	OriginStatic = "static" // configured by hand or by a tool (boot, static)
	OriginRA     = "ra"     // learnt from a router advertisement
	OriginDHCP   = "dhcp"   // from a DHCP client
)

// KernelRoute is a route in the kernel, IPv6 or IPv4, keyed by
// [KernelRoute.Key].
type KernelRoute struct {
	Dst     netip.Prefix `json:"dst"`
	Src     netip.Prefix `json:"src"` // source prefix; zero when not source-specific
	Via     netip.Addr   `json:"via"`
	Dev     string       `json:"dev"`
	Proto   string       `json:"proto"` // one of the Origin constants, or a number
	Metric  int          `json:"metric"`
	Table   int          `json:"table"`
	PrefSrc netip.Addr   `json:"pref_src"`
	Type    string       `json:"type,omitempty"` // "" for unicast, or unreachable, blackhole, prohibit
}

// Route types other than unicast.
const (
	TypeUnreachable = "unreachable" // re6st's route for the unallocated part of the network
	TypeBlackhole   = "blackhole"
	TypeProhibit    = "prohibit"
)

// IsDefault reports whether r is a default route (::/0 or 0.0.0.0/0).
func (r KernelRoute) IsDefault() bool {
	return r.Dst.IsValid() && r.Dst.Bits() == 0
}

// KernelKey tells kernel routes apart.
type KernelKey struct {
	Dst, Src      netip.Prefix
	Table, Metric int
	Dev           string
}

// Key is what tells r apart from the kernel's other routes: destination,
// source, table and metric, and the interface, since a prefix may have a
// route on each link (fe80::/64 has one on every interface).
func (r KernelRoute) Key() KernelKey {
	return KernelKey{Dst: r.Dst, Src: r.Src, Table: r.Table, Metric: r.Metric, Dev: r.Dev}
}
