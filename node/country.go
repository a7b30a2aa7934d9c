package node

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"re6st-tui/node/geoip"
	"re6st-tui/node/peer"
	"re6st-tui/node/tunnelmgr"
)

// countryTimeout bounds a getCountry call to the registry.
const countryTimeout = 30 * time.Second

// famIndex is the index of n.address and n.country for a family (4, 6).
func famIndex(family int) int {
	if family == 6 {
		return 1
	}
	return 0
}

// startCountries sets up the network's same_country rule: the local
// GeoIP database named by GEOIP2_MMDB, if any, for peers whose entries
// carry no country.
func (n *Node) startCountries(undo *[]func()) (tunnelmgr.Countries, error) {
	cc := tunnelmgr.Countries{Same: n.net.SameCountry, Mine: n.myCountry}
	if len(cc.Same) == 0 {
		return cc, nil
	}
	db, err := geoip.OpenEnv()
	if err != nil {
		return cc, fmt.Errorf("same_country: %w", err)
	}
	if db == nil {
		n.log.Warn("the network keeps tunnels within countries (same_country), but GEOIP2_MMDB is not set: peers whose addresses carry no country are not filtered",
			"same_country", cc.Same)
		return cc, nil
	}
	*undo = append(*undo, func() { db.Close() })
	cc.Lookup = func(a netip.Addr) string {
		c, _, _ := db.LookupAddr(a)
		return c
	}
	return cc, nil
}

// myCountry is our country for an address family: --country, else what
// the registry's GeoIP says of our address of that family.
func (n *Node) myCountry(family int) string {
	if n.cfg.Country != "" {
		return n.cfg.Country
	}
	return n.country[famIndex(family)]
}

// announcedCountry is the country our address entries carry: ours, when
// the network keeps tunnels within countries.
func (n *Node) announcedCountry(family int) string {
	if n.net == nil || len(n.net.SameCountry) == 0 {
		return ""
	}
	return n.myCountry(family)
}

// reuseCachedCountries takes the countries of the address list the
// previous run stored when it lists the same addresses, so as not to ask
// the registry again.
func (n *Node) reuseCachedCountries(ctx context.Context) {
	if n.cfg.Country != "" || len(n.net.SameCountry) == 0 {
		return
	}
	cached, err := n.cache.MyAddress(ctx)
	if err != nil || cached == "" {
		return
	}
	list, _ := peer.ParseAddresses(cached)
	ours := append(append([]peer.Address(nil), n.address[0]...), n.address[1]...)
	if peer.FormatAddresses(list, false) != peer.FormatAddresses(ours, false) {
		return
	}
	for _, a := range list {
		if i := famIndex(peer.Family(a.Proto)); a.Country != "" && n.country[i] == "" {
			n.country[i] = a.Country
			n.countryAsked[a.IP] = true
		}
	}
}

// askCountries asks the registry for the country of our address in each
// family, once per address: at start, and when the address changes (the
// last known country holds meanwhile). The answer comes back through the
// loop.
func (n *Node) askCountries(ctx context.Context) {
	if n.cfg.Country != "" || len(n.net.SameCountry) == 0 {
		return
	}
	for i, list := range n.address {
		if len(list) == 0 || n.countryAsked[list[0].IP] {
			continue
		}
		ip := list[0].IP
		n.countryAsked[ip] = true
		go func() {
			cctx, cancel := context.WithTimeout(ctx, countryTimeout)
			defer cancel()
			c, err := n.reg.GetCountry(cctx, ip)
			if err != nil {
				n.log.Info("cannot ask the registry for our country", "address", ip, "err", err)
			}
			n.post(ctx, func() { n.setCountry(i, ip, c, err) })
		}()
	}
}

// setCountry takes in the registry's answer about our address ip.
func (n *Node) setCountry(i int, ip, country string, err error) {
	if err != nil {
		delete(n.countryAsked, ip) // ask again when the address list changes
		return
	}
	if country == "" || len(n.address[i]) == 0 || n.address[i][0].IP != ip {
		return
	}
	n.country[i] = country
	n.log.Info("our country", "address", ip, "country", country)
	for j := range n.address[i] {
		n.address[i][j].Country = country
	}
	n.publishAddress()
}
