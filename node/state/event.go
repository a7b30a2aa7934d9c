package state

import "time"

// Kind says which piece of State an Event carries.
type Kind string

// Event kinds. Each names the field of Event that is set.
const (
	KindSnapshot  Kind = "snapshot"  // Snapshot: replace everything (after a resync)
	KindIdentity  Kind = "identity"  // Identity
	KindStatus    Kind = "status"    // Status
	KindRegistry  Kind = "registry"  // Registry
	KindTunnel    Kind = "tunnel"    // Tunnel, keyed by ID
	KindCounters  Kind = "counters"  // Counters: byte counters of many tunnels
	KindNeighbour Kind = "neighbour" // Neighbour, keyed by (Addr, Iface)
	KindRoute     Kind = "route"     // Route, keyed by (Prefix, Src, NextHop, Iface)
	KindSource    Kind = "source"    // Source, keyed by (Prefix, Src, RouterID)
	KindXRoute    Kind = "xroute"    // XRoute, keyed by (Prefix, Src)
	KindKernel    Kind = "kernel"    // Kernel, keyed by its Key()
	KindLog       Kind = "log"       // Log
	KindFinding   Kind = "finding"   // Finding, keyed by ID
	KindUPnP      Kind = "upnp"      // UPnP
	// KindLagged is the last event a subscriber that fell behind receives
	// before its channel closes; it should take a new Snapshot and
	// subscribe again.
	KindLagged Kind = "lagged"
)

// Event is one change to a node's State. Exactly the field named by Kind
// is set; Removed says the keyed item is gone rather than added or
// changed.
type Event struct {
	Kind    Kind      `json:"kind"`
	Time    time.Time `json:"time"`
	Removed bool      `json:"removed,omitempty"`

	Snapshot  *State       `json:"snapshot,omitempty"`
	Identity  *Identity    `json:"identity,omitempty"`
	Status    *Status      `json:"status,omitempty"`
	Registry  *Registry    `json:"registry,omitempty"`
	Tunnel    *Tunnel      `json:"tunnel,omitempty"`
	Counters  []Counters   `json:"counters,omitempty"`
	Neighbour *Neighbour   `json:"neighbour,omitempty"`
	Route     *BabelRoute  `json:"route,omitempty"`
	Source    *Source      `json:"source,omitempty"`
	XRoute    *XRoute      `json:"xroute,omitempty"`
	Kernel    *KernelRoute `json:"kernel,omitempty"`
	Log       *LogRecord   `json:"log,omitempty"`
	Finding   *Finding     `json:"finding,omitempty"`
	UPnP      *UPnP        `json:"upnp,omitempty"`
}
