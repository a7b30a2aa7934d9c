package node

import (
	"testing"
	"time"

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
		{"babel-keys-live", []string{"babel_hmac_sign", "babel_hmac_accept", "version"}, config.Node{}, netconf.Config{ClientCount: 3}, false},
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

func TestCutOffNodeRefetches(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		cutOff bool
		since  time.Duration
		due    bool
	}{
		{false, time.Hour, false},
		{true, time.Minute, false},
		{true, cutOffRefetch, true},
	} {
		if got := refetchDue(tc.cutOff, t0, t0.Add(tc.since)); got != tc.due {
			t.Errorf("cut off %v, last fetch %v ago: due %v, want %v", tc.cutOff, tc.since, got, tc.due)
		}
	}
}
