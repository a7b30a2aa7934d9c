package node

import (
	"testing"

	"re6st-tui/node/config"
	"re6st-tui/node/netconf"
	"re6st-tui/node/peer"
)

func TestRestartOnlyForNeedRestartKeys(t *testing.T) {
	id := testIdentity(t, "0000000000000001") // serial 1
	fixed := 5
	for _, tc := range []struct {
		name    string
		changed []string
		cfg     config.Node
		net     netconf.Config
		restart bool
	}{
		{"live-re6st", []string{"crl", "version", "registry_prefix", "valid_until"}, config.Node{}, netconf.Config{ClientCount: 3, CRL: []uint64{7}}, false},
		{"tunnel_refresh-live", []string{"tunnel_refresh", "version"}, config.Node{}, netconf.Config{ClientCount: 3}, false},
		{"hello", []string{"hello", "version"}, config.Node{}, netconf.Config{ClientCount: 3}, true},
		{"client_count", []string{"client_count"}, config.Node{}, netconf.Config{ClientCount: 3}, true},
		{"client_count-on-command-line", []string{"client_count", "max_clients"}, config.Node{ClientCount: &fixed, MaxClients: &fixed}, netconf.Config{}, false},
		{"own-serial-revoked", []string{"crl"}, config.Node{}, netconf.Config{ClientCount: 3, CRL: []uint64{1}}, true},
		{"min_protocol", []string{"min_protocol"}, config.Node{}, netconf.Config{ClientCount: 3, MinProtocol: peer.ProtocolVersion + 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &Node{cfg: &tc.cfg, net: &tc.net, id: id}
			if why := n.restartReason(tc.changed); (why != "") != tc.restart {
				t.Errorf("restart reason %q for %v, want a restart: %v", why, tc.changed, tc.restart)
			}
		})
	}
}
