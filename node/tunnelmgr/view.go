package tunnelmgr

import (
	"net/netip"
	"slices"
	"strings"
)

// NeighbourKey names a Babel neighbour: its link-local address and
// interface.
type NeighbourKey struct {
	Addr  netip.Addr
	Iface string
}

// Neighbour is a Babel neighbour with its cost multiplier (1 normal,
// 4096 draining, 0 locked).
type Neighbour struct {
	NeighbourKey
	CostMultiplier uint16
}

// Route is a Babel route.
type Route struct {
	Dst       netip.Prefix
	RefMetric uint16
	Via       NeighbourKey
	Installed bool // Babel selected it
}

// Dump is Babel's state the manager decides from.
type Dump struct {
	Neighbours []Neighbour
	Routes     []Route
}

// view is a Dump read the way re6st reads it: a neighbour announcing a
// prefix of the network with refmetric 0 is the node owning that prefix.
// Unlike re6st, which reads installed routes only, a neighbour is known by
// the route it originates even when Babel prefers another path to it: a
// costly link must still be found to be rotated out.
type view struct {
	// owner maps node prefixes to the neighbours originating them: the
	// other ends of our links.
	owner map[string]NeighbourKey
	// origins lists, by node prefix, every neighbour originating it.
	origins map[string][]NeighbourKey
	// neighbours holds every neighbour with the destinations (binary
	// prefixes, "" outside the network) of the installed routes through
	// it.
	neighbours map[NeighbourKey]*neighbourRoutes
	// unidentified is true when installed routes go through a neighbour
	// that originates no prefix.
	unidentified bool
	// routed holds every node prefix Babel has an installed route to.
	routed map[string]bool
}

type neighbourRoutes struct {
	neighbour Neighbour
	dsts      map[string]bool
}

func readDump(d Dump, network string) view {
	v := view{owner: map[string]NeighbourKey{}, origins: map[string][]NeighbourKey{}, neighbours: map[NeighbourKey]*neighbourRoutes{}, routed: map[string]bool{}}
	for _, n := range d.Neighbours {
		v.neighbours[n.NeighbourKey] = &neighbourRoutes{neighbour: n, dsts: map[string]bool{}}
	}
	identified := map[NeighbourKey]bool{}
	for _, r := range d.Routes {
		if !r.Dst.Addr().Is6() || r.Dst.Addr().Is4In6() {
			continue
		}
		nr := v.neighbours[r.Via]
		if nr == nil {
			continue // a route through a neighbour the dump does not list
		}
		dst, inNetwork := strings.CutPrefix(bitsOf(r.Dst), network)
		if !inNetwork {
			dst = ""
		}
		if dst != "" && r.RefMetric == 0 {
			// An installed route names the owner; another only when
			// none is installed.
			if _, known := v.owner[dst]; !known || r.Installed {
				v.owner[dst] = r.Via
			}
			if !slices.Contains(v.origins[dst], r.Via) {
				v.origins[dst] = append(v.origins[dst], r.Via)
			}
			identified[r.Via] = true
		}
		if !r.Installed {
			continue
		}
		nr.dsts[dst] = true
		if dst != "" {
			v.routed[dst] = true
		}
	}
	for key, nr := range v.neighbours {
		if !identified[key] && len(nr.dsts) > 0 {
			v.unidentified = true
		}
	}
	return v
}

// neighbourOf returns the neighbour at the other end of our link with the
// node owning prefix.
func (v view) neighbourOf(prefix string) (*neighbourRoutes, bool) {
	key, ok := v.owner[prefix]
	if !ok {
		return nil, false
	}
	nr := v.neighbours[key]
	return nr, nr != nil
}

// neighbourOn returns the neighbour originating prefix on one of ifaces.
func (v view) neighbourOn(prefix string, ifaces []string) (Neighbour, bool) {
	for _, key := range v.origins[prefix] {
		if nr := v.neighbours[key]; nr != nil && slices.Contains(ifaces, key.Iface) {
			return nr.neighbour, true
		}
	}
	return Neighbour{}, false
}

// carries reports whether Babel sends traffic through the neighbour.
func (v view) carries(key NeighbourKey) bool {
	nr := v.neighbours[key]
	return nr != nil && len(nr.dsts) > 0
}

// distant returns the routed prefixes that are not direct neighbours.
func (v view) distant() []string {
	var out []string
	for p := range v.routed {
		if _, direct := v.owner[p]; !direct {
			out = append(out, p)
		}
	}
	return out
}

// routesVia counts the network destinations routed through the neighbour
// owning prefix (-1 when there is no such neighbour).
func (v view) routesVia(prefix string) int {
	nr, ok := v.neighbourOf(prefix)
	if !ok {
		return -1
	}
	n := 0
	for d := range nr.dsts {
		if d != "" {
			n++
		}
	}
	return n
}

// bitsOf writes a prefix as a string of its plen bits.
func bitsOf(p netip.Prefix) string {
	b := p.Addr().As16()
	var sb strings.Builder
	for i := 0; i < p.Bits(); i++ {
		if b[i/8]&(0x80>>(i%8)) != 0 {
			sb.WriteByte('1')
		} else {
			sb.WriteByte('0')
		}
	}
	return sb.String()
}
