package tunnels

import (
	"net/netip"
	"time"
)

// Kind says what an Event reports.
type Kind int

// Event kinds. Server-side kinds carry the served peer; client-side kinds
// the peer we tunnel to.
const (
	// ServerUp: a server process is listening on its tap.
	ServerUp Kind = iota + 1
	// PeerConnected: a client passed Admit and its tunnel is established
	// (re6st's client-connect).
	PeerConnected
	// PeerRefused: Admit refused a client; Reason says why.
	PeerRefused
	// PeerDisconnected: a served client went away (client-disconnect).
	PeerDisconnected
	// Connected: an outgoing tunnel is up (re6st's route-up); ExternalIP is
	// our address as the server saw it, when it told us.
	Connected
	// Failed: an outgoing tunnel could not be set up on any address; Reason
	// is taken from OpenVPN's log.
	Failed
	// Exited: an openvpn process that was up went away (tunnel down, or a
	// server died). LastLog holds its last log lines.
	Exited
	// Stats: new byte counters for a tunnel or a served peer.
	Stats
)

func (k Kind) String() string {
	switch k {
	case ServerUp:
		return "server-up"
	case PeerConnected:
		return "peer-connected"
	case PeerRefused:
		return "peer-refused"
	case PeerDisconnected:
		return "peer-disconnected"
	case Connected:
		return "connected"
	case Failed:
		return "failed"
	case Exited:
		return "exited"
	case Stats:
		return "stats"
	}
	return "unknown"
}

// Event is one thing that happened to a tunnel. It is plain data.
type Event struct {
	Kind   Kind
	Time   time.Time
	Tunnel string // tap device: re6stnet1, re6stnet-tcp, ...
	Server bool   // the tunnel is one of our servers
	// CN is the peer's certificate CN ("1/16"): the served client's, or
	// the one asked for with --verify-x509-name on a client tunnel.
	CN string
	// Serial is the served client's certificate serial in decimal
	// (OpenVPN's tls_serial_0); empty on client tunnels.
	Serial     string
	Remote     netip.AddrPort // the peer's underlay address and port
	ExternalIP netip.Addr     // Connected: our address seen by the server
	Cipher     string         // Connected: data cipher the server chose ("none"; "" if not said)
	Reason     string         // Failed, Exited, PeerRefused
	LastLog    []string       // Failed, Exited
	Counters   Counters       // Stats, PeerDisconnected, Exited
}

// Counters are the byte counts of a tunnel (or one served peer), pushed by
// OpenVPN's bytecount notifications.
type Counters struct {
	In, Out uint64
	Since   time.Time // when the tunnel came up
}

// Peer describes a client asking to join one of our servers.
type Peer struct {
	CN     string
	Serial string // decimal
	Tunnel string // the server's tap device
	Remote netip.AddrPort
}

// Tunnel is the state of one client tunnel, or of one peer served by one
// of our servers (Server set).
type Tunnel struct {
	Iface    string
	Server   bool
	CN       string
	Serial   string // served peers only
	Up       bool   // client tunnels: connected (else still trying)
	Remote   netip.AddrPort
	Counters Counters
}
