package state

import (
	"net/netip"
	"time"
)

// State is a deep copy of everything a node shows: who it is, how it is
// doing, its tunnels, its Babel speaker's tables, the kernel's routes, the
// recent log, the doctor's findings and the UPnP port mappings. A caller may keep and change it.
type State struct {
	Identity    Identity      `json:"identity"`
	Status      Status        `json:"status"`
	Registry    Registry      `json:"registry"`
	Tunnels     []Tunnel      `json:"tunnels"`
	Neighbours  []Neighbour   `json:"neighbours"`
	Routes      []BabelRoute  `json:"routes"`
	Sources     []Source      `json:"sources"`
	XRoutes     []XRoute      `json:"xroutes"`
	Kernel      []KernelRoute `json:"kernel_routes"`
	Logs        []LogRecord   `json:"logs"`
	Findings    []Finding     `json:"findings"`
	UPnP        UPnP          `json:"upnp"`
	GeneratedAt time.Time     `json:"generated_at"`
}

// Identity is what the node's certificate and the network configuration
// say about it.
type Identity struct {
	Prefix     netip.Prefix `json:"prefix"`       // this node's subnet, from the certificate CN
	Address    netip.Addr   `json:"address"`      // this node's own address inside Prefix
	Network    netip.Prefix `json:"network"`      // the whole re6st network
	Registry   string       `json:"registry_url"` // registry base URL
	CertExpiry time.Time    `json:"cert_expiry"`  // NotAfter of the node certificate
	// IPv4 is the node's IPv4 address and subnet length when the network
	// carries IPv4 (its ipv4 and ipv4_sublen settings).
	IPv4 netip.Prefix `json:"ipv4,omitzero"`
	// IPv4Network is the network's IPv4 prefix, which IPv4 is part of.
	IPv4Network netip.Prefix `json:"ipv4_network,omitzero"`
}

// Phase is the node's coarse condition.
type Phase string

// Phases a node goes through.
const (
	Bootstrapping Phase = "bootstrapping" // no tunnel carries traffic yet
	Connected     Phase = "connected"     // tunnels up, routes exchanged
	Degraded      Phase = "degraded"      // running, but something needs attention (see Reason)
	Stopped       Phase = "stopped"       // the engine has stopped
)

// Status is the node's condition with the reason for it, in one sentence
// a person can act on.
type Status struct {
	Phase  Phase     `json:"phase"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
}

// Registry describes the node's view of its registry and peer cache.
type Registry struct {
	URL          string    `json:"url"`
	Reachable    bool      `json:"reachable"`
	LastContact  time.Time `json:"last_contact"`
	LastError    string    `json:"last_error,omitempty"`
	ConfigAge    time.Time `json:"config_fetched"` // when the network configuration was last fetched
	CachedPeers  int       `json:"cached_peers"`   // peers in the local peer cache
	BootstrapErr string    `json:"bootstrap_error,omitempty"`
}
