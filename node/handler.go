package node

import (
	"fmt"
	"runtime"
	"strings"

	"re6st-tui/node/identity"
	"re6st-tui/node/peer"
)

// Version is the software version shown to peers (code 4).
var Version = "re6st-tui 0.1"

// Request answers peer-protocol requests; it runs on the node's loop.
func (n *Node) Request(r peer.Request) ([]byte, bool) {
	switch r.Code {
	case peer.CodeAddress:
		if len(r.Data) == 0 {
			a := n.myAddresses(r.Protocol)
			if r.Peer == "" {
				a = n.myAddresses(peer.ProtocolVersion)
			}
			return []byte(a), a != ""
		}
		if r.Peer != "" {
			n.mgr.AddressAnswer(n.loopCtx, r.Peer, string(r.Data))
		}
	case peer.CodeKillRequest:
		if r.Peer != "" {
			n.mgr.KillRequest(r.Peer)
		}
	case peer.CodeKillResponse:
		if r.Peer != "" {
			n.mgr.KillResponse(r.Peer)
		}
	case peer.CodeNodeInfo:
		if len(r.Data) == 0 {
			return []byte(fmt.Sprintf("%s, %s-%s", Version, runtime.GOOS, runtime.GOARCH)), true
		}
		if r.Peer != "" {
			n.nodeInfo(r.Peer, string(r.Data))
		}
	case peer.CodeTopology:
		if r.Peer == "" || r.Peer == n.net.RegistryPrefix {
			return []byte(n.topology()), true
		}
	case peer.CodeLog:
		if r.Peer != "" && n.id.Prefix == n.net.RegistryPrefix {
			n.log.Info(string(r.Data), "peer", identity.CN(r.Peer))
		}
	}
	return nil, false
}

// topology answers the registry's crawl: the number of client tunnels,
// their peers, then the peers served.
func (n *Node) topology() string {
	clients := n.mgr.Tunnels()
	var b strings.Builder
	fmt.Fprintf(&b, "%d", len(clients))
	for _, p := range clients {
		b.WriteString(" " + identity.CN(p))
	}
	for _, p := range n.mgr.Served() {
		b.WriteString(" " + identity.CN(p))
	}
	return b.String()
}

func parseAddrs(s string) []peer.Address {
	list, _ := peer.ParseAddresses(s)
	return list
}
