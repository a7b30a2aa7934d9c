package node_test

import (
	"context"
	"errors"
	"fmt"
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
	client, server, tap, ll := clientTunnel(t, d)
	cc, err := control.Dial(client.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	before := markLogs(d)
	start := time.Now()
	err = cc.KillTunnel(ctx, tap)
	cc.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Read in the server's log, not in its state: the client may open a
	// new tunnel to the same server at once, on the same tap and so with
	// the same link-local address, and be its neighbour again within the
	// second its state takes to follow.
	cn := identity.CN(client.ID.Prefix)
	flushed := fmt.Sprintf("neighbour flushed, its origin left peer=%s iface=%s", ll.Addr, ll.Iface)
	waitNetwork(t, d, 10*time.Second, server.Host.Name+" forgetting "+client.Host.Name, func() error {
		log := before.since(server)
		if !strings.Contains(log, "served client's neighbour forgotten peer="+cn) || !strings.Contains(log, flushed) {
			return fmt.Errorf("%s did not flush %s's neighbour %s on %s", server.Host.Name, cn, ll.Addr, ll.Iface)
		}
		return nil
	})
	t.Logf("%s forgot %s's neighbour %v after its tunnel was closed (Hellos every 4 s)", server.Host.Name, client.Host.Name, time.Since(start).Round(time.Millisecond))
}

// clientTunnel waits for a client tunnel that is up and whose server's
// Babel has met the client on it (a tunnel may be up before the first
// Update crosses it, and the state is published once a second): it
// returns the client's node, the node serving it, the client's tap and the
// client's link-local address as the server knows it, on the server's tap.
func clientTunnel(t *testing.T, d *demo.Demo) (client, server *demo.Node, tap string, ll state.Neighbour) {
	t.Helper()
	waitNetwork(t, d, 30*time.Second, "a client tunnel up, its server's Babel knowing the client", func() error {
		for _, n := range d.Nodes {
			st, err := snapshot(n)
			if err != nil {
				return err
			}
			for _, tn := range st.Tunnels {
				if tn.Role != state.Client || tn.State != state.TunnelUp {
					continue
				}
				for _, s := range d.Nodes {
					if s.ID.Subnet != tn.Peer {
						continue
					}
					sst, err := snapshot(s)
					if err != nil {
						return err
					}
					for _, stn := range sst.Tunnels {
						if stn.Role == state.Server && stn.Peer == n.ID.Subnet && stn.LinkLocal.IsValid() {
							client, server, tap = n, s, tn.ID
							ll = state.Neighbour{Addr: stn.LinkLocal, Iface: stn.Iface}
							return nil
						}
					}
				}
			}
		}
		return errors.New("none yet")
	})
	return client, server, tap, ll
}
