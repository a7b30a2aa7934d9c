package tunnels

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Proto is an underlay protocol as re6st names it in addresses and --pp.
type Proto string

// The four protocols re6st knows.
const (
	UDP  Proto = "udp"
	TCP  Proto = "tcp"
	UDP6 Proto = "udp6"
	TCP6 Proto = "tcp6"
)

// ParseProto accepts re6st's names (and udp4/tcp4, which it also resolves).
func ParseProto(s string) (Proto, error) {
	switch s {
	case "udp", "udp4":
		return UDP, nil
	case "tcp", "tcp4":
		return TCP, nil
	case "udp6":
		return UDP6, nil
	case "tcp6":
		return TCP6, nil
	}
	return "", fmt.Errorf("unknown tunnel protocol %q: use udp, tcp, udp6 or tcp6", s)
}

// IPv6 reports whether p runs over IPv6.
func (p Proto) IPv6() bool { return p == UDP6 || p == TCP6 }

// UDP reports whether p is a datagram protocol.
func (p Proto) UDP() bool { return p == UDP || p == UDP6 }

// Iface is the name of the tap device of the server for p.
func (p Proto) Iface() string { return "re6stnet-" + string(p) }

// serverProto is OpenVPN's --proto for a server of p: the family is explicit
// so that a tcp and a tcp6 server can share a port.
func (p Proto) serverProto() string {
	switch p {
	case UDP:
		return "udp4"
	case TCP:
		return "tcp4-server"
	case TCP6:
		return "tcp6-server"
	}
	return "udp6"
}

// clientProto is OpenVPN's proto field of --remote for p.
func (p Proto) clientProto() string {
	switch p {
	case UDP:
		return "udp4"
	case TCP:
		return "tcp4-client"
	case TCP6:
		return "tcp6-client"
	}
	return "udp6"
}

// linkMTU is re6st's --link-mtu (UDP only; 0 for TCP). The server value is
// the client's + 93: OpenVPN ≥ 2.4.7 derives the server's tun MTU
// differently and this makes both ends agree.
func (p Proto) linkMTU(server bool) int {
	var m int
	switch p {
	case UDP:
		m = 1432
	case UDP6:
		m = 1450
	default:
		return 0
	}
	if server {
		m += 93
	}
	return m
}

// Address is one way to reach a peer's server.
type Address struct {
	AddrPort netip.AddrPort
	Proto    Proto
}

func (a Address) String() string {
	return a.AddrPort.Addr().String() + "," + strconv.Itoa(int(a.AddrPort.Port())) + "," + string(a.Proto)
}

// check refuses addresses whose family does not match the protocol.
func (a Address) check() error {
	ip := a.AddrPort.Addr()
	switch {
	case !ip.IsValid() || a.AddrPort.Port() == 0:
		return fmt.Errorf("address %v: needs an IP and a non-zero port", a)
	case a.Proto.IPv6() != (ip.Is6() && !ip.Is4In6()):
		return fmt.Errorf("address %v: %s needs an IPv%s address", a, a.Proto, map[bool]string{true: "6", false: "4"}[a.Proto.IPv6()])
	}
	return nil
}
