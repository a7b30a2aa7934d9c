package upnp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Protocols a mapping may carry.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Errors a [Gateway] reports for the conditions the mapper handles.
var (
	// ErrConflict: the external port is mapped to someone else.
	ErrConflict = errors.New("external port already mapped")
	// ErrPermanentOnly: the gateway accepts only leases of 0 (no expiry).
	ErrPermanentOnly = errors.New("gateway supports only permanent leases")
)

// Mapping is one port forwarded by the gateway.
type Mapping struct {
	Proto       string         // TCP or UDP
	External    netip.AddrPort // the gateway's external address and port
	Client      netip.Addr     // the LAN host the gateway forwards to
	Internal    uint16         // the port on Client
	Description string
	Lease       time.Duration // 0: until removed
}

// Gateway is an Internet gateway that maps ports. [Discover] finds a real
// one; the node's tests use a fake.
type Gateway interface {
	// LocalAddr is this host's address on the gateway's LAN, the one
	// mappings forward to.
	LocalAddr() netip.Addr
	// ExternalIP returns the gateway's public IPv4 address.
	ExternalIP(ctx context.Context) (netip.Addr, error)
	// Add asks for m (External's address is ignored). Adding the same
	// mapping again renews its lease.
	Add(ctx context.Context, m Mapping) error
	// Delete removes the mapping of external port on proto.
	Delete(ctx context.Context, proto string, external uint16) error
	// List returns every mapping the gateway holds.
	List(ctx context.Context) ([]Mapping, error)
}

// Port is a local server port to map.
type Port struct {
	Port  uint16
	Proto string // TCP or UDP
}

func (p Port) String() string { return fmt.Sprintf("%d/%s", p.Port, p.Proto) }

// Entry is one element of the node's address list (ip,port,proto), as
// other nodes will connect to it.
type Entry struct {
	Addr  netip.AddrPort
	Proto string
}

// String formats e as re6st's address list does.
func (e Entry) String() string {
	return fmt.Sprintf("%s,%d,%s", e.Addr.Addr(), e.Addr.Port(), e.Proto)
}

func checkProto(p string) (string, error) {
	switch strings.ToLower(p) {
	case TCP:
		return TCP, nil
	case UDP:
		return UDP, nil
	}
	return "", fmt.Errorf("protocol %q cannot be mapped: UPnP maps IPv4 tcp and udp ports only", p)
}
