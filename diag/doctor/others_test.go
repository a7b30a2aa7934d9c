package doctor

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"re6st-tui/diag/pmtu"
	"re6st-tui/diag/system"
	"re6st-tui/diag/system/systemtest"
)

func TestPathMTU(t *testing.T) {
	target := netip.MustParseAddr("2001:db8:42:9::1")
	sys := systemtest.New()
	sys.LinkList = []system.Link{{Name: "re6stnet1", MTU: 1500}}
	sys.Get[target] = system.Route{Dev: "re6stnet1"}
	for _, tt := range []struct {
		name string
		res  pmtu.Result
		err  error
		want Status
	}{
		{"full", pmtu.Result{Expected: 1500, Largest: 1500}, nil, OK},
		{"too-big-said", pmtu.Result{Expected: 1500, Largest: 1400, TooBig: true}, nil, OK},
		{"black-hole", pmtu.Result{Expected: 1500, Largest: 1400, BlackHole: true}, nil, Fail},
		{"unreachable", pmtu.Result{}, errors.New("does not answer"), Error},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got pmtu.Config
			d := &Doctor{Sys: sys, Node: Node{MTUTarget: target}, MTU: func(ctx context.Context, c pmtu.Config) (pmtu.Result, error) {
				got = c
				return tt.res, tt.err
			}}
			if r := runCheck(t, d, "path-mtu"); r.Status != tt.want {
				t.Fatalf("got %s", r.Status)
			}
			if got.Expected != 1500 || got.Dst != target {
				t.Errorf("measured with %+v", got)
			}
		})
	}
	if r := runCheck(t, &Doctor{Sys: sys}, "path-mtu"); r.Status != Skip {
		t.Errorf("no target: got %s", r.Status)
	}
	// A node that has just started has no route over the overlay yet.
	other := netip.MustParseAddr("2001:db8:42:a::1")
	if r := runCheck(t, &Doctor{Sys: sys, Node: Node{MTUTarget: other}}, "path-mtu"); r.Status != Skip {
		t.Errorf("no route yet: got %s", r.Status)
	}
}

func TestNetworkManager(t *testing.T) {
	const general, devices = "nmcli -t -f RUNNING general", "nmcli -t -f DEVICE,TYPE,STATE device"
	for _, tt := range []struct {
		name string
		out  map[string]string
		want Status
	}{
		{"absent", map[string]string{}, Skip},
		{"stopped", map[string]string{general: "not running\n"}, Skip},
		{"manages-tunnel", map[string]string{general: "running\n", devices: "eth0:ethernet:connected\nre6stnet1:tun:connected (externally)\n"}, Warn},
		{"leaves-alone", map[string]string{general: "running\n", devices: "eth0:ethernet:connected\nre6stnet1:tun:unmanaged\n"}, OK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := runCheck(t, &Doctor{Sys: systemtest.New(), Exec: fakeRunner{tt.out}}, "networkmanager"); r.Status != tt.want {
				t.Fatalf("got %s", r.Status)
			}
		})
	}
}

func TestSplitNmcli(t *testing.T) {
	got := splitNmcli(`a\:b:c\\:d`)
	if len(got) != 3 || got[0] != "a:b" || got[1] != `c\` || got[2] != "d" {
		t.Fatalf("%q", got)
	}
}
