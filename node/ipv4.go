package node

import (
	"net/netip"

	"re6st-tui/node/identity"
)

// setIPv4 works out the node's IPv4 address when the network carries
// IPv4 (its "ipv4" and "ipv4_sublen" keys): the subnet numbered by the
// certificate's subject serialNumber, the node taking its first address.
// A network config or certificate that does not allow one disables IPv4
// with a warning, as re6st does.
func (n *Node) setIPv4() {
	n.ipv4, n.ipv4Net = netip.Prefix{}, netip.Prefix{}
	if n.net.IPv4 == "" {
		return
	}
	network, err := netip.ParsePrefix(n.net.IPv4)
	if err != nil || !network.Addr().Is4() {
		n.log.Warn("IPv4 payload disabled: the network's ipv4 is not an IPv4 prefix", "ipv4", n.net.IPv4)
		return
	}
	serial, ok := identity.SubjectSerial(n.id.Cert)
	if !ok {
		n.log.Warn("IPv4 payload disabled: the certificate has no subject serialNumber; renew it with the registry")
		return
	}
	p, err := identity.NodeIPv4(network.Masked(), int(n.net.IPv4SubLen), serial)
	if err != nil {
		n.log.Warn("IPv4 payload disabled", "err", err)
		return
	}
	n.ipv4, n.ipv4Net = p, network.Masked()
	n.log.Info("IPv4 payload", "address", p, "network", n.ipv4Net)
}

// tunnelManager reports whether the node makes client tunnels; a node
// that does not keeps its IPv4 address on its main interface instead of
// its tunnels.
func (n *Node) tunnelManager() bool { return n.clientCount() > 0 && n.cfg.Client == "" }
