package state

import (
	"net/netip"
	"time"
)

// Neighbour is a Babel neighbour, as babeld's dump shows it.
type Neighbour struct {
	Addr   netip.Addr    `json:"addr"` // link-local address
	Iface  string        `json:"iface"`
	Reach  uint16        `json:"reach"` // hello history, newest bit first
	RxCost uint16        `json:"rxcost"`
	TxCost uint16        `json:"txcost"`
	RTT    time.Duration `json:"rtt"`
	Cost   uint16        `json:"cost"` // link cost; 65535 is infinite
}

// Infinity is Babel's infinite metric.
const Infinity = 0xFFFF

// BabelRoute is a route in the Babel speaker's table (RFC 8966 §3.2.6),
// keyed by (Prefix, Src, NextHop, Iface).
type BabelRoute struct {
	Prefix    netip.Prefix `json:"prefix"`
	Src       netip.Prefix `json:"src"` // source prefix; ::/0 when not source-specific
	Metric    uint16       `json:"metric"`
	RefMetric uint16       `json:"refmetric"`
	RouterID  string       `json:"router_id"` // 8 bytes as babeld prints them
	Seqno     uint16       `json:"seqno"`
	NextHop   netip.Addr   `json:"next_hop"`
	Iface     string       `json:"iface"`
	Installed bool         `json:"installed"`
	Feasible  bool         `json:"feasible"`
}

// Source is an entry of the source table used for feasibility.
type Source struct {
	Prefix   netip.Prefix `json:"prefix"`
	Src      netip.Prefix `json:"src"`
	RouterID string       `json:"router_id"`
	Seqno    uint16       `json:"seqno"`
	Metric   uint16       `json:"metric"`
}

// XRoute is a route this node redistributes into Babel.
type XRoute struct {
	Prefix netip.Prefix `json:"prefix"`
	Src    netip.Prefix `json:"src"`
	Metric uint16       `json:"metric"`
}
