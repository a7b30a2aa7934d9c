package babel

import (
	"fmt"
	"net/netip"
	"time"

	"re6st-tui/routing/babel/wire"
)

// Kind is an interface type, with babeld's defaults.
type Kind uint8

// Interface kinds.
const (
	// Wired: split horizon, no timestamps.
	Wired Kind = iota
	// Tunnel: no split horizon, timestamps and RTT cost.
	Tunnel
)

// String gives babeld's name of the kind.
func (k Kind) String() string {
	if k == Tunnel {
		return "tunnel"
	}
	return "wired"
}

// RTT holds the RTT-cost parameters (babeld's max-rtt-penalty, rtt-min,
// rtt-max, rtt-decay). re6st's babel_default sets 5000/10ms/500ms/125.
type RTT struct {
	MaxPenalty uint16
	Min, Max   time.Duration
	Decay      uint16 // 1..256
}

// RE6STRTT is the RTT tuning re6st passes to babeld.
var RE6STRTT = RTT{MaxPenalty: 5000, Min: 10 * time.Millisecond, Max: 500 * time.Millisecond, Decay: 125}

// Interface configures one Babel interface.
type Interface struct {
	Name  string
	Index int
	Kind  Kind
	// LinkLocal is our fe80:: address on the interface (the packet source).
	LinkLocal netip.Addr
	// IPv4 is our IPv4 address on the interface, if any. As babeld does,
	// IPv4 routes are announced with it as next hop (AE 1); without
	// one, with our link-local address (v4-via-v6, RFC 9229).
	IPv4 netip.Addr
	// MTU bounds our packets; 0 means 1500.
	MTU int
	// Hello is the hello interval; 0 means the speaker's default.
	Hello time.Duration
	// Update is the periodic update interval; 0 means 4 × Hello.
	Update time.Duration
	// RxCost is the cost we announce in IHUs; 0 means 96.
	RxCost uint16
	// RTT overrides the speaker's RTT parameters on tunnels when MaxPenalty > 0.
	RTT RTT
}

// Xroute is a route we originate: (Prefix from Src) with a metric.
type Xroute struct {
	Prefix netip.Prefix
	Src    netip.Prefix
	Metric uint16
}

// Config is the speaker's configuration.
type Config struct {
	// RouterID identifies us; zero takes the state file's, else a random one.
	RouterID wire.RouterID
	// Seqno is our initial sequence number, unless the state file has one.
	Seqno uint16
	// StateFile keeps the router-id and seqno across clean restarts, as
	// babeld's -S file: read and removed at start, written at a clean stop.
	// After a crash there is none, so a random router-id is picked and no
	// neighbour holds newer routes from us than we announce.
	StateFile string
	// Hello is the default hello interval (re6st: the network's hello, 15 s; babeld: 4 s).
	Hello time.Duration
	// RTT is the default RTT tuning for tunnel interfaces.
	RTT RTT
	// Xroutes are originated at start; see [Speaker.SetXroutes].
	Xroutes []Xroute
	// Install holds the kernel rules (pref-src, the re6st default route, subtrees).
	Install InstallPolicy
	// Auth enables RFC 8967 when Sign is set.
	Auth Auth
	// SmoothingHalfLife is the metric smoothing half-life; 0 means 4 s.
	SmoothingHalfLife time.Duration
}

// Auth is the MAC configuration: re6st signs with one key and accepts another
// (babel_hmac_sign / babel_hmac_accept); AcceptBad processes packets with bad
// or missing MACs as if the interface were unkeyed.
type Auth struct {
	Sign      *wire.Key
	Accept    []wire.Key
	AcceptBad bool
}

// InstallPolicy says how learned routes become kernel routes, following the
// statements re6st gives babeld.
type InstallPolicy struct {
	// PrefSrc6 / PrefSrc4 are set as the preferred source of installed routes.
	PrefSrc6, PrefSrc4 netip.Addr
	// Network is the re6st network prefix. With it set, a non-specific default
	// learned from an old gateway is installed as "default from Network".
	Network netip.Prefix
	// NoSubtrees is the fallback for kernels without IPv6 subtrees: only
	// "::/0 from Network" is accepted among source-specific routes, and it is
	// installed without its source prefix.
	NoSubtrees bool
	// Gateway: when NoSubtrees, accept only destinations inside Network.
	Gateway bool
}

func (c *Config) defaults() error {
	if c.RouterID == (wire.RouterID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) {
		return fmt.Errorf("babel: router-id %v is reserved: pick another one, or none for a random one", c.RouterID)
	}
	if c.Hello <= 0 {
		c.Hello = 4 * time.Second
	}
	if c.RTT.MaxPenalty == 0 {
		c.RTT = RTT{MaxPenalty: 96, Min: 10 * time.Millisecond, Max: 120 * time.Millisecond, Decay: 42}
	}
	if c.RTT.Max <= c.RTT.Min {
		return fmt.Errorf("babel: rtt-max %v must exceed rtt-min %v", c.RTT.Max, c.RTT.Min)
	}
	if c.RTT.Decay == 0 || c.RTT.Decay > 256 {
		return fmt.Errorf("babel: rtt-decay %d out of range: use 1 to 256", c.RTT.Decay)
	}
	if c.SmoothingHalfLife <= 0 {
		c.SmoothingHalfLife = 4 * time.Second
	}
	return nil
}

func (c *Config) ifaceDefaults(i *Interface) error {
	if i.Name == "" || i.Index <= 0 {
		return fmt.Errorf("babel: interface needs a name and an index, got %q/%d", i.Name, i.Index)
	}
	if !i.LinkLocal.Is6() || !i.LinkLocal.IsLinkLocalUnicast() {
		return fmt.Errorf("babel: interface %s: %v is not an fe80:: address; wait until its link-local address is ready", i.Name, i.LinkLocal)
	}
	if i.IPv4.IsValid() && !i.IPv4.Is4() {
		return fmt.Errorf("babel: interface %s: IPv4 address %v is not IPv4", i.Name, i.IPv4)
	}
	if i.MTU < 512 {
		i.MTU = max(i.MTU, 0)
		if i.MTU == 0 {
			i.MTU = 1500
		} else {
			i.MTU = 512
		}
	}
	if i.Hello <= 0 {
		i.Hello = c.Hello
	}
	if i.Update <= 0 {
		i.Update = 4 * i.Hello
	}
	if i.RxCost == 0 {
		i.RxCost = 96
	}
	if i.RTT.MaxPenalty == 0 {
		i.RTT = c.RTT
	}
	return nil
}

// cs converts a duration to centiseconds for the wire, rounding up.
func cs(d time.Duration) uint16 {
	v := (d.Milliseconds() + 9) / 10
	return uint16(min(v, 0xFFFF))
}

// fromCS converts centiseconds to a duration.
func fromCS(v uint16) time.Duration { return time.Duration(v) * 10 * time.Millisecond }
