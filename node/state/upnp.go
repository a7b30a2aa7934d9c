package state

import (
	"net/netip"
	"time"
)

// UPnPPhase is where the node stands with its Internet gateway.
type UPnPPhase string

// UPnP phases.
const (
	UPnPOff       UPnPPhase = ""          // not used: --ip gives the IPv4 address, or no IPv4 server
	UPnPSearching UPnPPhase = "searching" // looking for the gateway on the LAN
	UPnPMapped    UPnPPhase = "mapped"    // the server ports are mapped
	UPnPFailed    UPnPPhase = "failed"    // no gateway, or it refused; see Error
)

// UPnP is the state of the port mappings that make the node's IPv4
// servers reachable from behind a home router (--ip upnp).
type UPnP struct {
	Phase    UPnPPhase     `json:"phase,omitempty"`
	Gateway  string        `json:"gateway,omitempty"`  // the gateway's service and address
	External netip.Addr    `json:"external,omitempty"` // the gateway's public IPv4 address
	Mappings []PortMapping `json:"mappings,omitempty"`
	Renewed  time.Time     `json:"renewed,omitempty"` // when the mappings were last made or renewed
	Error    string        `json:"error,omitempty"`   // why the last attempt failed
}

// PortMapping is one server port forwarded by the gateway.
type PortMapping struct {
	Proto    string `json:"proto"`    // tcp or udp
	Internal uint16 `json:"internal"` // our server's port
	External uint16 `json:"external"` // the port on the gateway's public address
}
