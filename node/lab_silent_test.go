package node_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// TestLabRegistrySilent: while a node waits for a registry that drops its
// packets, its loop goes on: a command to close a tunnel is carried out
// before the registry request gives up.
func TestLabRegistrySilent(t *testing.T) {
	netlab.Require(t)
	ctx := context.Background()
	d := formed(t, demo.Config{Nodes: 3})
	client, _, tap, _ := clientTunnel(t, d)
	client.Host.Run(t, "nft", "add table inet silent")
	client.Host.Run(t, "nft", "add chain inet silent out { type filter hook output priority 0 ; }")
	client.Host.Run(t, "nft", "add rule inet silent out ip daddr "+d.Nodes[0].Host.IPv4.String()+" tcp dport 80 counter drop")
	c := dialNode(t, client)
	refreshed := make(chan error, 1)
	go func() { refreshed <- c.RefreshNetworkConfig(ctx) }()
	// The fetch is under way once the registry's packets are dropped.
	dropped := regexp.MustCompile(`counter packets [1-9]`)
	netlab.WaitFor(t, 10*time.Second, "a request to the registry dropped", func() error {
		if rules := client.Host.Run(t, "nft", "list chain inet silent out"); !dropped.MatchString(rules) {
			return fmt.Errorf("nothing dropped yet:\n%s", rules)
		}
		return nil
	})
	killed := make(chan error, 1)
	go func() { killed <- c.KillTunnel(ctx, tap) }()
	select {
	case err := <-killed:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-refreshed:
		t.Fatalf("the refresh ended (%v) before the tunnel could be closed: the loop waited for the registry", err)
	}
}
