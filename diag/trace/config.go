package trace

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Mode says what a probe is.
type Mode int

const (
	// UDP probes go to a high, unused port; the destination answers with
	// port unreachable (Debian's traceroute6 default).
	UDP Mode = iota
	// ICMP probes are echo requests; the destination answers with a reply.
	ICMP
)

func (m Mode) String() string {
	if m == ICMP {
		return "icmp"
	}
	return "udp"
}

// Resolver looks up the name of a hop; *net.Resolver is one.
type Resolver interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Config says what to trace and how. The zero value of each field picks the
// default named on it.
type Config struct {
	Dst      netip.Addr    // required, IPv6
	Src      netip.Addr    // source address; zero lets the kernel choose
	Mode     Mode          // UDP (default) or ICMP
	FirstHop int           // first hop limit, default 1
	MaxHops  int           // last hop limit, default 30
	Probes   int           // probes per hop and round, default 3
	Timeout  time.Duration // wait for an answer, default 2s
	InFlight int           // probes outstanding at once, default 32 (about ten hops ahead)
	Rounds   int           // 1 (default) traceroute; n > 1 repeats like mtr; < 0 until ctx ends
	Interval time.Duration // pause between rounds, default 1s
	Port     int           // first UDP destination port, default 33434
	Resolver Resolver      // nil: no reverse DNS
}

// portSpan is how many destination ports (or echo sequence numbers) probes
// cycle through; a span keeps late answers of a past round from matching.
const portSpan = 4096

func (c Config) withDefaults() (Config, error) {
	if !c.Dst.IsValid() || !c.Dst.Is6() || c.Dst.Is4In6() {
		return c, fmt.Errorf("trace: destination %v is not an IPv6 address: give one such as 2001:db8::1", c.Dst)
	}
	if c.Src.IsValid() && (!c.Src.Is6() || c.Src.Is4In6()) {
		return c, fmt.Errorf("trace: source %v is not an IPv6 address", c.Src)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.FirstHop, 1)
	def(&c.MaxHops, 30)
	def(&c.Probes, 3)
	def(&c.InFlight, 32)
	def(&c.Port, 33434)
	if c.Rounds == 0 {
		c.Rounds = 1
	}
	if c.Timeout <= 0 {
		c.Timeout = 2 * time.Second
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.MaxHops > 255 || c.FirstHop > c.MaxHops {
		return c, fmt.Errorf("trace: hop range %d..%d is invalid: use 1 <= first <= max <= 255", c.FirstHop, c.MaxHops)
	}
	if c.Port+portSpan > 65535 {
		return c, fmt.Errorf("trace: port %d too high: use at most %d", c.Port, 65535-portSpan)
	}
	return c, nil
}
