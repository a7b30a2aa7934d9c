package node

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// parseBabelDefault reads the RTT tuning of the network's babel_default
// ("max-rtt-penalty 5000 rtt-max 500 rtt-decay 125"), on top of re6st's
// values; unknown words are ignored.
func parseBabelDefault(s string) babel.RTT {
	rtt := babel.RE6STRTT
	f := strings.Fields(s)
	for i := 0; i+1 < len(f); i += 2 {
		v, err := strconv.Atoi(f[i+1])
		if err != nil || v < 0 {
			continue
		}
		switch f[i] {
		case "max-rtt-penalty":
			rtt.MaxPenalty = uint16(min(v, 0xffff))
		case "rtt-min":
			rtt.Min = time.Duration(v) * time.Millisecond
		case "rtt-max":
			rtt.Max = time.Duration(v) * time.Millisecond
		case "rtt-decay":
			rtt.Decay = uint16(min(max(v, 1), 256))
		}
	}
	return rtt
}

// babelAuth turns the network's Babel keys into the speaker's MAC set-up:
// sign with one key, accept another; an empty accept key means accept
// unsigned packets too.
func babelAuth(sign, accept []byte, hasAccept bool) (babel.Auth, error) {
	var a babel.Auth
	if len(sign) == 0 {
		return a, nil
	}
	k, err := wire.NewKey("sign", wire.Blake2s128, sign)
	if err != nil {
		return a, err
	}
	a.Sign = &k
	switch {
	case hasAccept && len(accept) == 0:
		a.AcceptBad = true
	case len(accept) > 0:
		ak, err := wire.NewKey("accept", wire.Blake2s128, accept)
		if err != nil {
			return a, err
		}
		a.Accept = []wire.Key{ak}
	}
	return a, nil
}

// xroutes are the routes the node originates: its subnet, its IPv4
// subnet with IPv4 payload and, on a gateway whose host has a default
// route, the default route for the network's addresses.
func (n *Node) xroutes() []babel.Xroute {
	xs := []babel.Xroute{{Prefix: n.id.Subnet}}
	if n.ipv4.IsValid() {
		xs = append(xs, babel.Xroute{Prefix: n.ipv4.Masked()})
	}
	if n.cfg.Gateway && n.exportDefault {
		xs = append(xs, babel.Xroute{Prefix: netip.MustParsePrefix("::/0"), Src: n.network()})
	}
	return xs
}

// network is the re6st network's prefix.
func (n *Node) network() netip.Prefix {
	a, _ := identity.AddrFromBits(n.id.CA.Network)
	return netip.PrefixFrom(a, len(n.id.CA.Network))
}
