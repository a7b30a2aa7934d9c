package tunnels

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// TestLabDisconnectServed: revoking one served client drops that client
// alone; the other keeps its tunnel, and the revoked one cannot come back.
func TestLabDisconnectServed(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 3})
	pki := newPKI(t, labNetwork)
	h1, h2, h3 := lab.Host("h1"), lab.Host("h2"), lab.Host("h3")
	scfg := labConfig(t, h1, pki, "1/16", 1)
	scfg.CRLDir = t.TempDir()
	srv := startNode(t, h1, scfg)
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	c2 := startNode(t, h2, labConfig(t, h2, pki, "2/16", 2))
	c3 := startNode(t, h3, labConfig(t, h3, pki, "3/16", 3))
	ifaces := map[*labNode]string{}
	for _, c := range []*labNode{c2, c3} {
		iface, err := c.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
		if err != nil {
			t.Fatal(err)
		}
		ifaces[c] = iface
		c.ev.wait(t, 20*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
	}
	srv.ev.wait(t, 10*time.Second, PeerConnected, func(e Event) bool { return e.CN == "2/16" })
	srv.ev.wait(t, 10*time.Second, PeerConnected, func(e Event) bool { return e.CN == "3/16" })

	if err := SetRevoked(scfg.CRLDir, []*big.Int{big.NewInt(2)}); err != nil {
		t.Fatal(err)
	}
	gone, err := srv.mgr.DisconnectServed(context.Background(), func(tn Tunnel) bool { return tn.Serial == "2" })
	if err != nil || len(gone) != 1 || gone[0].CN != "2/16" || gone[0].Iface != "re6stnet-tcp" {
		t.Fatalf("DisconnectServed = %+v, %v; want 2/16 on re6stnet-tcp", gone, err)
	}
	srv.ev.wait(t, 10*time.Second, PeerDisconnected, func(e Event) bool { return e.CN == "2/16" })
	// The client is told to restart, which a re6st client takes as an exit.
	c2.ev.wait(t, 10*time.Second, Exited, func(e Event) bool { return e.Tunnel == ifaces[c2] })

	// The other client is still served and its tunnel carries traffic.
	if ts := srv.mgr.Tunnels(); len(ts) != 1 || ts[0].CN != "3/16" {
		t.Errorf("served after the disconnect: %+v, want 3/16 alone", ts)
	}
	srvLL := linkLocal(t, h1, "re6stnet-tcp")
	if _, err := h3.Ping(context.Background(), srvLL.String()+"%"+ifaces[c3], 3); err != nil {
		t.Errorf("the other client's tunnel: %v", err)
	}
	// The revoked client is refused by the server's OpenVPN (--crl-verify).
	iface, err := c2.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	f := c2.ev.wait(t, 30*time.Second, Failed, func(e Event) bool { return e.Tunnel == iface })
	if strings.Contains(f.Reason, "closed") {
		t.Errorf("revoked client's new tunnel ended with %q, want a refusal", f.Reason)
	}
	if ts := srv.mgr.Tunnels(); len(ts) != 1 || ts[0].CN != "3/16" {
		t.Errorf("served after the revoked client came back: %+v, want 3/16 alone", ts)
	}
	if gone, err := srv.mgr.DisconnectServed(context.Background(), func(Tunnel) bool { return false }); len(gone) != 0 || err != nil {
		t.Errorf("DisconnectServed matching nobody = %+v, %v", gone, err)
	}
}
