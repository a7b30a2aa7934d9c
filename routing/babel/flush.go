package babel

import (
	"fmt"
	"net/netip"
	"slices"
)

// FlushNeighbour forgets the neighbour addr on interface ifname at once:
// its routes are retracted or replaced now, not after its Hellos time out.
// A neighbour that is still there comes back with its next Hello.
func (s *Speaker) FlushNeighbour(ifname string, addr netip.Addr) error {
	var err error
	if e := s.do(func(c *core) { err = c.flushNeighbourAt(ifname, addr) }); e != nil {
		return e
	}
	return err
}

// FlushOrigin forgets at once every neighbour on interface ifname that
// originates origin, that is, announces it with refmetric 0, and returns how
// many it forgot. It is for links shared by several peers (an OpenVPN server
// tap): when one peer leaves, the link stays up and the caller knows the
// peer's prefix but not its link-local address.
func (s *Speaker) FlushOrigin(ifname string, origin netip.Prefix) (int, error) {
	var n int
	var err error
	if e := s.do(func(c *core) { n, err = c.flushOrigin(ifname, origin) }); e != nil {
		return 0, e
	}
	return n, err
}

func (c *core) flushNeighbourAt(ifname string, addr netip.Addr) error {
	ifc := c.ifaceByName(ifname)
	if ifc == nil {
		return fmt.Errorf("babel: no interface %s", ifname)
	}
	k := neighKey{ifc.Index, addr.WithZone("")}
	n := c.neighs[k]
	if n == nil {
		return fmt.Errorf("babel: no neighbour %v on %s", addr, ifname)
	}
	c.log.Debug("babel: neighbour flushed on request", "peer", addr, "iface", ifname)
	c.flushNeighbour(k, n)
	return nil
}

func (c *core) flushOrigin(ifname string, origin netip.Prefix) (int, error) {
	ifc := c.ifaceByName(ifname)
	if ifc == nil {
		return 0, fmt.Errorf("babel: no interface %s", ifname)
	}
	if !origin.IsValid() {
		return 0, fmt.Errorf("babel: flush origin: invalid prefix")
	}
	origin = origin.Masked()
	var gone []*neighbour
	for k, e := range c.routes {
		if k.dst() != origin {
			continue
		}
		for _, r := range e.routes {
			if r.neigh.ifc == ifc && r.refmetric == 0 && !slices.Contains(gone, r.neigh) {
				gone = append(gone, r.neigh)
			}
		}
	}
	for _, n := range gone {
		c.log.Debug("babel: neighbour flushed, its origin left", "peer", n.addr, "iface", ifname, "prefix", origin)
		c.flushNeighbour(neighKey{ifc.Index, n.addr}, n)
	}
	return len(gone), nil
}
