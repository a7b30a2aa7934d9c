package identity

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// NodeIPv4 is a node's IPv4 address and subnet (§1.4 of the protocol
// reference): the node with subject serial s gets the s-th subnet of
// length n+sublen inside network (netconf "ipv4" and "ipv4_sublen"), and
// its first address unless the subnet is a /31 or /32. It fails (IPv4
// then stays off) when sublen > 16 or s does not fit in sublen bits.
func NodeIPv4(network netip.Prefix, sublen, serial int) (netip.Prefix, error) {
	if !network.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("ipv4 network %s is not IPv4", network)
	}
	if sublen < 0 || sublen > 16 {
		return netip.Prefix{}, fmt.Errorf("ipv4_sublen %d outside 0..16: IPv4 disabled", sublen)
	}
	m := network.Bits() + sublen
	if serial < 0 || serial >= 1<<sublen || m > 32 {
		return netip.Prefix{}, fmt.Errorf("subject serial %d does not fit in %d bits of %s: IPv4 disabled", serial, sublen, network)
	}
	a := network.Addr().As4()
	base := binary.BigEndian.Uint32(a[:])
	base |= uint32(serial) << (32 - m)
	if m < 31 {
		base++
	}
	binary.BigEndian.PutUint32(a[:], base)
	return netip.PrefixFrom(netip.AddrFrom4(a), m), nil
}
