package tunnels

import "testing"

// The pushed options come from the peer: scanning them must never panic
// nor take garbage.
func FuzzLogFacts(f *testing.F) {
	for _, s := range []string{
		"PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 198.18.0.12,peer-id 0,cipher none,tun-mtu 1500'",
		"Data Channel MTU parms [ mss_fix:0 max_frag:0 tun_mtu:1407 tun_max_mtu:1600 ]",
		"OPTIONS IMPORT: tun-mtu set to 1500",
		"PUSH_REPLY,setenv-safe external_ip ,cipher ",
		"Data Channel MTU parms tun_mtu:",
	} {
		f.Add("I", s)
	}
	f.Fuzz(func(t *testing.T, flags, text string) {
		var lf logFacts
		lf.scan(flags, text)
		if lf.mtu != 0 && (lf.mtu < 1280 || lf.mtu > 65535) {
			t.Fatalf("mtu %d taken from %q", lf.mtu, text)
		}
		if lf.externalIP.IsValid() && lf.externalIP.Zone() != "" && lf.externalIP.Is4() {
			t.Fatalf("odd address %v from %q", lf.externalIP, text)
		}
	})
}
