package demo

import (
	"net/netip"
	"slices"
	"testing"

	"re6st-tui/node/netlab"
)

// TestNodeArgs: h1's node is a gateway with the classic conflict or when
// asked, and no node is otherwise.
func TestNodeArgs(t *testing.T) {
	h1 := &netlab.Host{Name: "h1", IPv4: netip.MustParseAddr("198.18.0.11")}
	h2 := &netlab.Host{Name: "h2", IPv4: netip.MustParseAddr("198.18.0.12")}
	l1 := &netlab.Host{Name: "l1", IPv4: netip.MustParseAddr("198.18.1.11")}
	for _, tc := range []struct {
		name    string
		cfg     Config
		gateway bool
	}{
		{"plain", Config{}, false},
		{"conflict", Config{Conflict: true}, true},
		{"gateway", Config{Gateway: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Demo{Registry: "http://198.18.0.11/", gateway: tc.cfg.gateway(), args: map[string][]string{"h2": {"--client-count", "1"}}}
			for _, h := range []*netlab.Host{h1, h2, l1} {
				args := d.nodeArgs(&Node{Host: h, Dir: "/tmp/" + h.Name})
				if got, want := slices.Contains(args, "--gateway"), tc.gateway && h == h1; got != want {
					t.Errorf("%s: --gateway %v, want %v: %q", h.Name, got, want, args)
				}
				ip := args[slices.Index(args, "--ip")+1]
				if want := h.IPv4.String(); h == l1 {
					if ip != "upnp" {
						t.Errorf("l1 behind the NAT: --ip %s, want upnp", ip)
					}
				} else if ip != want {
					t.Errorf("%s: --ip %s, want %s", h.Name, ip, want)
				}
			}
			if args := d.nodeArgs(&Node{Host: h2, Dir: "/tmp/h2"}); !slices.Contains(args, "--client-count") {
				t.Errorf("h2's own options are missing: %q", args)
			}
		})
	}
}
