package node_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/node/demo"
	"re6st-tui/node/identity"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabServedClientLeaves closes a client tunnel: the server's Babel
// forgets that neighbour as soon as OpenVPN reports the client gone, not
// when its Hellos time out (its tap, shared by all clients, stays up).
func TestLabServedClientLeaves(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 3})
	client, server, tap := clientTunnel(t, d)
	sc, err := control.Dial(server.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	// The server knows the client by its link-local address on its tap.
	var ll state.Neighbour
	for _, tn := range sc.Snapshot().Tunnels {
		if tn.Role == state.Server && tn.Peer == client.ID.Subnet {
			ll = state.Neighbour{Addr: tn.LinkLocal, Iface: tn.Iface}
		}
	}
	if !ll.Addr.IsValid() {
		t.Fatalf("%s does not know %s's link-local address", server.Host.Name, client.Host.Name)
	}
	cc, err := control.Dial(client.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = cc.KillTunnel(ctx, tap)
	cc.Close()
	if err != nil {
		t.Fatal(err)
	}
	cn := identity.CN(client.ID.Prefix)
	waitNetwork(t, d, 10*time.Second, server.Host.Name+" forgetting "+client.Host.Name, func() error {
		log, _ := os.ReadFile(server.LogFile())
		if !strings.Contains(string(log), "served client's neighbour forgotten peer="+cn) {
			return fmt.Errorf("%s did not flush %s's neighbour", server.Host.Name, cn)
		}
		for _, nb := range sc.Snapshot().Neighbours {
			if nb.Addr == ll.Addr && nb.Iface == ll.Iface {
				return fmt.Errorf("%s still lists %s on %s", server.Host.Name, ll.Addr, ll.Iface)
			}
		}
		return nil
	})
	t.Logf("%s forgot %s's neighbour %v after its tunnel was closed (Hellos every 4 s)", server.Host.Name, client.Host.Name, time.Since(start).Round(time.Millisecond))
}

// clientTunnel finds a client tunnel that is up: its node, the node
// serving it and its tap.
func clientTunnel(t *testing.T, d *demo.Demo) (client, server *demo.Node, tap string) {
	t.Helper()
	for _, n := range d.Nodes {
		c, err := control.Dial(n.ControlSocket())
		if err != nil {
			t.Fatal(err)
		}
		st := c.Snapshot()
		c.Close()
		for _, tn := range st.Tunnels {
			if tn.Role != state.Client || tn.State != state.TunnelUp {
				continue
			}
			for _, s := range d.Nodes {
				if s.ID.Subnet == tn.Peer {
					return n, s, tn.ID
				}
			}
		}
	}
	t.Fatalf("no client tunnel up\n%s", report(t, d))
	return nil, nil, ""
}
