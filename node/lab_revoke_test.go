package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/control"
	"re6st-tui/node/demo"
	"re6st-tui/node/identity"
	"re6st-tui/node/netlab"
)

// TestLabRevoke revokes a node by CN: the registry forgets it. It stops,
// saying to enroll again; every other node drops its tunnels with it and
// refuses it, and started again it stops again.
func TestLabRevoke(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	x, others := d.Nodes[3], d.Nodes[:3]
	serial := x.ID.Cert.SerialNumber.String()
	reg := clientIn(t, d.Nodes[0].Host, "http://127.0.0.1/")
	start := time.Now()
	if err := reg.Revoke(ctx, identity.CN(x.ID.Prefix)); err != nil {
		t.Fatal(err)
	}
	waitDropped(t, d, others, x, serial)
	t.Logf("every other node dropped %s %v after its revocation", x.Host.Name, time.Since(start).Round(time.Millisecond))
	waitEnrollAgain(t, x)
	t.Logf("%s stopped %v after its revocation", x.Host.Name, time.Since(start).Round(time.Millisecond))

	// Started again from its files, it learns at once that it is gone.
	if err := d.Start(x); err != nil {
		t.Fatal(err)
	}
	waitEnrollAgain(t, x)
	checkNoTunnelWith(t, others, x)
	if _, err := d.WaitReachableAmong(ctx, others, 60*time.Second); err != nil {
		t.Fatalf("the others without %s: %v\n%s", x.Host.Name, err, report(t, d))
	}
}

// TestLabRevokeSerial revokes a node's certificate serial while the node
// cannot reach the registry: the others must drop and refuse it on their
// own. Once it can reach the registry again, it renews its certificate
// and rejoins.
func TestLabRevokeSerial(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 4})
	x, others := d.Nodes[3], d.Nodes[:3]
	serial := x.ID.Cert.SerialNumber.String()
	// The registry listens on h1's IPv4 address, port 80.
	x.Host.Run(t, "nft", "add table inet revoketest")
	x.Host.Run(t, "nft", "add chain inet revoketest out { type filter hook output priority 0 ; }")
	x.Host.Run(t, "nft", "add rule inet revoketest out ip daddr "+d.Nodes[0].Host.IPv4.String()+" tcp dport 80 drop")
	reg := clientIn(t, d.Nodes[0].Host, "http://127.0.0.1/")
	start := time.Now()
	if err := reg.Revoke(ctx, serial); err != nil {
		t.Fatal(err)
	}
	waitDropped(t, d, others, x, serial)
	t.Logf("every other node dropped %s %v after the revocation of its serial", x.Host.Name, time.Since(start).Round(time.Millisecond))
	// x keeps trying its cached peers: their OpenVPN servers refuse it.
	waitNetwork(t, d, 60*time.Second, "a refused tunnel from "+x.Host.Name, func() error {
		for _, n := range others {
			if log, _ := os.ReadFile(n.LogFile()); strings.Contains(string(log), "serial="+serial+" is revoked") {
				return nil
			}
		}
		return fmt.Errorf("no node logged refusing serial %s", serial)
	})
	checkNoTunnelWith(t, others, x)

	x.Host.Run(t, "nft", "delete table inet revoketest")
	c, err := control.Dial(x.ControlSocket())
	if err != nil {
		t.Fatal(err)
	}
	rejoin := time.Now()
	err = c.RefreshNetworkConfig(ctx)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	if took, err := d.WaitReachable(ctx, 90*time.Second); err != nil {
		t.Fatalf("%s did not rejoin: %v\n%s", x.Host.Name, err, report(t, d))
	} else {
		t.Logf("all pairs reachable %v after %s could renew (%v since asked)", took.Round(time.Millisecond), x.Host.Name, time.Since(rejoin).Round(time.Millisecond))
	}
	id, err := identity.Load(filepath.Join(x.Dir, "ca.crt"), filepath.Join(x.Dir, "cert.crt"), filepath.Join(x.Dir, "cert.key"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if id.Cert.SerialNumber.String() == serial || id.Prefix != x.ID.Prefix {
		t.Errorf("%s has serial %v, prefix %s after renewing; want a new serial, the same prefix", x.Host.Name, id.Cert.SerialNumber, identity.CN(id.Prefix))
	}
}

// waitDropped waits until none of nodes has a tunnel with x and each has
// x's serial in the CRL its OpenVPN reads.
func waitDropped(t *testing.T, d *demo.Demo, nodes []*demo.Node, x *demo.Node, serial string) {
	t.Helper()
	waitNetwork(t, d, 30*time.Second, "every node to drop "+x.Host.Name, func() error {
		for _, n := range nodes {
			if _, err := os.Stat(filepath.Join(n.Dir, "run", "crl", serial)); err != nil {
				return fmt.Errorf("%s: %v", n.Host.Name, err)
			}
			if err := tunnelWith(n, x); err != nil {
				return err
			}
		}
		return nil
	})
}

func tunnelWith(n, x *demo.Node) error {
	st, err := snapshot(n)
	if err != nil {
		return err
	}
	for _, tn := range st.Tunnels {
		if tn.Peer == x.ID.Subnet {
			return fmt.Errorf("%s still has %s tunnel %s with %s (%s)", n.Host.Name, tn.Role, tn.ID, x.Host.Name, tn.State)
		}
	}
	return nil
}

func checkNoTunnelWith(t *testing.T, nodes []*demo.Node, x *demo.Node) {
	t.Helper()
	for _, n := range nodes {
		if err := tunnelWith(n, x); err != nil {
			t.Error(err)
		}
	}
}

// waitEnrollAgain waits for node x to exit with the error that tells to
// enroll again.
func waitEnrollAgain(t *testing.T, x *demo.Node) {
	t.Helper()
	select {
	case <-x.Proc.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still runs after its revocation:\n%s", x.Host.Name, x.Proc.Output())
	}
	if out := x.Proc.Output(); !strings.Contains(out, "enroll again") || x.Proc.Err() == nil {
		t.Errorf("%s exited (%v) without saying to enroll again:\n%s", x.Host.Name, x.Proc.Err(), out)
	}
}
