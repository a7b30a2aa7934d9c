package upnp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/soap"
)

// UPnP error codes the mapper reacts to (UPnP IGD WANIPConnection:2 §2.5).
const (
	codeNoSuchEntry     = 714
	codeConflict        = 718
	codePermanentLeases = 725
)

// connection is what WANIPConnection1, WANIPConnection2 and
// WANPPPConnection1 have in common.
type connection interface {
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	AddPortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string,
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32) error
	DeletePortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) error
	GetGenericPortMappingEntryCtx(ctx context.Context, index uint16) (remoteHost string, externalPort uint16,
		protocol string, internalPort uint16, internalClient string, enabled bool, description string, lease uint32, err error)
	GetServiceClient() *goupnp.ServiceClient
}

var (
	_ connection = (*internetgateway2.WANIPConnection1)(nil)
	_ connection = (*internetgateway2.WANIPConnection2)(nil)
	_ connection = (*internetgateway2.WANPPPConnection1)(nil)
)

// igd is a Gateway reached through a goupnp connection client.
type igd struct {
	conn  connection
	local netip.Addr
	kind  string // the service type, for logs
}

// Discover finds the Internet gateway on the LAN, preferring a
// WANIPConnection:2 service, then WANIPConnection:1, then
// WANPPPConnection:1. It takes about two seconds, the SSDP search window.
func Discover(ctx context.Context) (Gateway, error) {
	type found struct {
		conns []connection
		err   error
	}
	searches := []func(context.Context) ([]connection, error){
		func(ctx context.Context) ([]connection, error) {
			cs, _, err := internetgateway2.NewWANIPConnection2ClientsCtx(ctx)
			return asConnections(cs), err
		},
		func(ctx context.Context) ([]connection, error) {
			cs, _, err := internetgateway2.NewWANIPConnection1ClientsCtx(ctx)
			return asConnections(cs), err
		},
		func(ctx context.Context) ([]connection, error) {
			cs, _, err := internetgateway2.NewWANPPPConnection1ClientsCtx(ctx)
			return asConnections(cs), err
		},
	}
	results := make([]found, len(searches))
	var wg sync.WaitGroup
	for i, search := range searches {
		wg.Go(func() {
			cs, err := search(ctx)
			results[i] = found{cs, err}
		})
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		for _, c := range r.conns {
			if g, err := newIGD(c); err == nil {
				return g, nil
			} else {
				errs = append(errs, err)
			}
		}
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("upnp: discovery: %w", err)
	}
	return nil, fmt.Errorf("upnp: no Internet gateway answered on the LAN (%w); enable UPnP IGD on the router, or give the public address with --ip",
		errors.Join(errs...))
}

func asConnections[T connection](cs []T) []connection {
	out := make([]connection, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

func newIGD(c connection) (*igd, error) {
	sc := c.GetServiceClient()
	local, ok := netip.AddrFromSlice(sc.LocalAddr())
	if !ok {
		// Found without the address we asked from: take the one our
		// system would use to reach the gateway.
		var err error
		if local, err = routeTo(sc.Location.Host); err != nil {
			return nil, err
		}
	}
	return &igd{conn: c, local: local.Unmap(), kind: sc.Service.ServiceType}, nil
}

// routeTo returns the local address used to reach hostport.
func routeTo(hostport string) (netip.Addr, error) {
	c, err := net.Dial("udp4", hostport)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("upnp: no route to the gateway at %s: %w", hostport, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

func (g *igd) LocalAddr() netip.Addr { return g.local }

func (g *igd) String() string { return g.kind + " at " + g.conn.GetServiceClient().Location.Host }

func (g *igd) ExternalIP(ctx context.Context) (netip.Addr, error) {
	s, err := g.conn.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("upnp: external address from %s: %w", g, err)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("upnp: %s gave %q as its external address: it has no public IPv4 address; give the node's address with --ip", g, s)
	}
	return a, nil
}

func (g *igd) Add(ctx context.Context, m Mapping) error {
	err := g.conn.AddPortMappingCtx(ctx, "", m.External.Port(), strings.ToUpper(m.Proto), m.Internal,
		m.Client.String(), true, m.Description, uint32(m.Lease/time.Second))
	if err == nil {
		return nil
	}
	switch upnpCode(err) {
	case codeConflict:
		return fmt.Errorf("upnp: map %d/%s: %w", m.External.Port(), m.Proto, ErrConflict)
	case codePermanentLeases:
		return fmt.Errorf("upnp: map %d/%s: %w", m.External.Port(), m.Proto, ErrPermanentOnly)
	}
	return fmt.Errorf("upnp: map %d/%s on %s: %w", m.External.Port(), m.Proto, g, err)
}

func (g *igd) Delete(ctx context.Context, proto string, external uint16) error {
	err := g.conn.DeletePortMappingCtx(ctx, "", external, strings.ToUpper(proto))
	if err != nil && upnpCode(err) != codeNoSuchEntry {
		return fmt.Errorf("upnp: unmap %d/%s on %s: %w", external, proto, g, err)
	}
	return nil
}

func (g *igd) List(ctx context.Context) ([]Mapping, error) {
	ext, err := g.ExternalIP(ctx)
	if err != nil {
		ext = netip.IPv4Unspecified()
	}
	var out []Mapping
	for i := uint16(0); ; i++ {
		_, port, proto, iport, client, _, desc, lease, err := g.conn.GetGenericPortMappingEntryCtx(ctx, i)
		if err != nil {
			if upnpCode(err) != 0 { // past the last entry: 713 SpecifiedArrayIndexInvalid
				return out, nil
			}
			return out, fmt.Errorf("upnp: list mappings on %s: %w", g, err)
		}
		c, _ := netip.ParseAddr(client)
		out = append(out, Mapping{Proto: strings.ToLower(proto), External: netip.AddrPortFrom(ext, port),
			Client: c, Internal: iport, Description: desc, Lease: time.Duration(lease) * time.Second})
		if i == ^uint16(0) {
			return out, nil
		}
	}
}

// upnpCode returns the UPnP error code err carries, or 0.
func upnpCode(err error) int {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) {
		return f.Detail.UPnPError.Errorcode
	}
	return 0
}
