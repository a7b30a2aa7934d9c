package tunnelmgr

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
)

// resolveTimeout bounds the lookup of a host name in a peer's address
// list; names are rare there, and the lookup holds up the node's loop.
const resolveTimeout = 2 * time.Second

// Countries is what the network's same_country rule needs.
type Countries struct {
	// Same is the network's same_country list; empty, nothing is filtered.
	Same []string
	// Mine is our country for an address family (4 or 6), "" if unknown.
	Mine func(family int) string
	// Lookup is the local GeoIP database, "" for an unknown address; nil
	// without one.
	Lookup func(netip.Addr) string
	// Resolve looks a host name up in a family; nil uses the system's
	// resolver.
	Resolve func(ctx context.Context, host string, family int) ([]netip.Addr, error)
}

// sameCountry applies the network's same_country list S to one address
// of a peer, as re6st does: when our country is in S, only peers of our
// country; otherwise never peers of a country in S. A peer's country is
// the one its entry carries, else the local GeoIP's; with our country or
// theirs unknown, the address passes (where the Python node crashes on an
// entry without country and no local database). When the rule applies,
// the tunnel goes to the resolved addresses that pass.
func (m *Manager) sameCountry(ctx context.Context, prefix string, a peer.Address) []peer.Address {
	cc := m.cfg.Countries
	country := a.Country
	a.Country = ""
	if len(cc.Same) == 0 || cc.Mine == nil {
		return []peer.Address{a}
	}
	family := peer.Family(a.Proto)
	mine := cc.Mine(family)
	if mine == "" {
		return []peer.Address{a}
	}
	ips, err := m.resolve(ctx, a.IP, family)
	if err != nil {
		m.cfg.Log.Info("peer address skipped", "peer", identity.CN(prefix), "address", a.IP, "err", err)
		return nil
	}
	ours := slices.Contains(cc.Same, mine)
	var out []peer.Address
	for _, ip := range ips {
		theirs := country
		if theirs == "" && cc.Lookup != nil {
			theirs = cc.Lookup(ip)
		}
		if theirs != "" && (ours && theirs != mine || !ours && slices.Contains(cc.Same, theirs)) {
			m.cfg.Log.Debug("not tunnelling to another country", "peer", identity.CN(prefix), "address", ip, "ours", mine, "theirs", theirs)
			continue
		}
		out = append(out, peer.Address{IP: ip.String(), Port: a.Port, Proto: a.Proto})
	}
	return out
}

// resolve turns an address list's host into addresses of the family.
func (m *Manager) resolve(ctx context.Context, host string, family int) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip = ip.Unmap(); ip.Is4() != (family == 4) {
			return nil, errors.New("not an address of the family its protocol tunnels over")
		}
		return []netip.Addr{ip}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	if r := m.cfg.Countries.Resolve; r != nil {
		return r(ctx, host, family)
	}
	network := "ip6"
	if family == 4 {
		network = "ip4"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	return ips, err
}
