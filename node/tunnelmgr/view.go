package tunnelmgr

import (
	"net/netip"
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

// Route is an installed Babel route.
type Route struct {
	Dst       netip.Prefix
	RefMetric uint16
	Via       NeighbourKey
}

// Dump is Babel's state the manager decides from.
type Dump struct {
	Neighbours []Neighbour
	Routes     []Route // installed routes only
}

// view is a Dump read the way re6st reads it: a neighbour announcing a
// prefix of the network with refmetric 0 is the node owning that prefix.
type view struct {
	// byPrefix maps identified neighbours' prefixes to them and to the
	// destinations (binary prefixes, "" outside the network) they route.
	byPrefix map[string]*neighbourRoutes
	// unidentified is true when some routes go through neighbours whose
	// prefix is unknown.
	unidentified bool
	// locked holds the unidentified neighbours at cost multiplier 0.
	locked map[NeighbourKey]bool
	// routed holds every node prefix Babel has a route to.
	routed map[string]bool
}

type neighbourRoutes struct {
	neighbour Neighbour
	dsts      map[string]bool
}

func readDump(d Dump, network string) view {
	v := view{byPrefix: map[string]*neighbourRoutes{}, locked: map[NeighbourKey]bool{}, routed: map[string]bool{}}
	all := map[NeighbourKey]*neighbourRoutes{}
	for _, n := range d.Neighbours {
		all[n.NeighbourKey] = &neighbourRoutes{neighbour: n, dsts: map[string]bool{}}
	}
	identified := map[NeighbourKey]bool{}
	for _, r := range d.Routes {
		if !r.Dst.Addr().Is6() || r.Dst.Addr().Is4In6() {
			continue
		}
		nr := all[r.Via]
		if nr == nil {
			continue // a route through a neighbour the dump does not list
		}
		dst := ""
		bits := bitsOf(r.Dst)
		if p, ok := strings.CutPrefix(bits, network); ok {
			dst = p
			if p != "" && r.RefMetric == 0 {
				v.byPrefix[p] = nr
				identified[r.Via] = true
			}
		}
		nr.dsts[dst] = true
		if dst != "" {
			v.routed[dst] = true
		}
	}
	for key, nr := range all {
		if identified[key] {
			continue
		}
		if nr.neighbour.CostMultiplier == 0 {
			v.locked[key] = true
		}
		if len(nr.dsts) > 0 {
			v.unidentified = true
		}
	}
	return v
}

// distant returns the routed prefixes that are not direct neighbours.
func (v view) distant() []string {
	var out []string
	for p := range v.routed {
		if v.byPrefix[p] == nil {
			out = append(out, p)
		}
	}
	return out
}

// routesVia counts the network destinations routed through the neighbour
// owning prefix (-1 when that neighbour is not identified).
func (v view) routesVia(prefix string) int {
	nr := v.byPrefix[prefix]
	if nr == nil {
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
