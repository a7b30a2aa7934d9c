package trace

import "net/netip"

// SourceFor picks the source address for a trace to dst: the node's re6st
// address when dst is inside the re6st network (so answers come back over
// the overlay), else zero, letting the kernel choose.
func SourceFor(dst netip.Addr, network netip.Prefix, nodeAddr netip.Addr) netip.Addr {
	if network.IsValid() && nodeAddr.IsValid() && network.Contains(dst) {
		return nodeAddr
	}
	return netip.Addr{}
}
