package node

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"re6st-tui/node/cache"
	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
	"re6st-tui/node/state"
)

// infoRetry is how long to wait for a peer's answer to a node-info
// request (code 4) before asking again.
const infoRetry = 30 * time.Second

// peerDetails is what the peer detail view shows beyond the tunnel: the
// version a peer runs (its answer to code 4) and the addresses it
// announced (as cached). Only the node's loop uses it.
type peerDetails struct {
	info  map[string]string    // prefix → "<version>, <platform>"
	asked map[string]time.Time // prefix → last code 4 request
}

// nodeInfo records a peer's answer to our code 4 request.
func (n *Node) nodeInfo(prefix, info string) {
	if n.details.info == nil {
		n.details.info = map[string]string{}
	}
	n.details.info[prefix] = info
	delete(n.details.asked, prefix)
}

// fillPeerDetails sets each tunnel's peer version and announced addresses,
// and asks the peers whose version is not known yet. It runs on the loop.
func (n *Node) fillPeerDetails(tunnels []state.Tunnel, cached []cache.Peer) {
	announced := map[string]string{}
	for _, p := range cached {
		announced[p.Prefix] = p.Address
	}
	protocols := map[string]uint64{}
	for _, p := range n.proto.Peers() {
		protocols[p.Prefix] = p.Protocol
	}
	now := time.Now()
	for i := range tunnels {
		t := &tunnels[i]
		prefix, ok := strings.CutPrefix(identity.BitsFromAddr(t.Peer.Addr(), t.Peer.Bits()), n.id.CA.Network)
		if !ok || prefix == "" {
			continue
		}
		t.PeerAddrs = addrPorts(announced[prefix])
		info, known := n.details.info[prefix]
		switch {
		case known:
			t.Version = info
		case protocols[prefix] > 0:
			t.Version = "protocol " + strconv.FormatUint(protocols[prefix], 10)
		}
		if !known && t.State == state.TunnelUp && now.Sub(n.details.asked[prefix]) > infoRetry {
			if n.details.asked == nil {
				n.details.asked = map[string]time.Time{}
			}
			// Without a session this starts one; the next round asks.
			if (peersAdapter{n}).SendTo(prefix, []byte{peer.CodeNodeInfo}) {
				n.details.asked[prefix] = now
			}
		}
	}
}

// addrPorts keeps the IP addresses of an announced address list.
func addrPorts(list string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, a := range parseAddrs(list) {
		if ip, err := netip.ParseAddr(a.IP); err == nil {
			ap := netip.AddrPortFrom(ip, a.Port)
			if !slices.Contains(out, ap) {
				out = append(out, ap)
			}
		}
	}
	return out
}
