package state

import (
	"net/netip"
	"time"
)

// Role says which side of an OpenVPN tunnel this node is.
type Role string

// Tunnel roles.
const (
	Client Role = "client" // we dialled out on one of re6stnet1..N
	Server Role = "server" // the peer dialled our re6stnet-<proto> server
)

// TunnelState is the life-cycle state of one tunnel.
type TunnelState string

// Tunnel states.
const (
	TunnelConnecting TunnelState = "connecting"
	TunnelUp         TunnelState = "up"
	TunnelClosing    TunnelState = "closing"
	TunnelDown       TunnelState = "down"
)

// Tunnel is one OpenVPN tunnel to a peer.
type Tunnel struct {
	// ID names the tunnel uniquely: a client tap name, or server iface plus
	// peer prefix, since one server tap carries many peers.
	ID        string           `json:"id"`
	Peer      netip.Prefix     `json:"peer"` // the peer's re6st prefix
	Role      Role             `json:"role"`
	Remote    netip.AddrPort   `json:"remote"`     // underlay address and port
	Proto     string           `json:"proto"`      // udp, tcp, udp6, tcp6
	Iface     string           `json:"iface"`      // tap device
	LinkLocal netip.Addr       `json:"link_local"` // the peer's Babel neighbour address, when known
	State     TunnelState      `json:"state"`
	BytesIn   uint64           `json:"bytes_in"`
	BytesOut  uint64           `json:"bytes_out"`
	Since     time.Time        `json:"since"`      // when State was entered
	PeerAddrs []netip.AddrPort `json:"peer_addrs"` // the address list the peer announced
	Version   string           `json:"version"`    // the peer's protocol version, when known
}

// Counters is a tunnel's byte counters at one moment; the engine sends
// them in batches so that a hundred tunnels make one event, not a hundred.
type Counters struct {
	ID       string `json:"id"`
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
}
