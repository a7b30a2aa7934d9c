package node_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/geoip/geoiptest"
	"re6st-tui/node/netlab"
	"re6st-tui/node/state"
)

// TestLabSameCountry runs a network whose same_country lists FR, with h1
// and h2 in France and h3 and h4 in Germany by the GeoIP database the
// registry and the nodes read. The French nodes tunnel with each other;
// no tunnel ever crosses the border; a German node finds the registry's
// node French and leaves it (the registry, in France, can offer it no
// one else).
func TestLabSameCountry(t *testing.T) {
	netlab.Require(t)
	countries := []string{"FR", "FR", "DE", "DE"}
	var entries []geoiptest.Entry
	for i, cc := range countries {
		entries = append(entries,
			geoiptest.Entry{Net: fmt.Sprintf("198.18.0.%d/32", 11+i), Country: cc, Continent: "EU"},
			geoiptest.Entry{Net: fmt.Sprintf("2001:db8:ff00::%d/128", 11+i), Country: cc, Continent: "EU"})
	}
	t.Setenv("GEOIP2_MMDB", geoiptest.Write(t, entries...))
	ctx := context.Background()
	d, err := demo.Start(ctx, demo.Config{Nodes: len(countries), Bin: binaries(t), RegistryOptions: []string{"same-country FR"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	country := map[netip.Prefix]string{}
	for i, n := range d.Nodes {
		if got := n.Host.IPv4.String(); got != fmt.Sprintf("198.18.0.%d", 11+i) {
			t.Fatalf("%s is at %s: the GeoIP entries miss it", n.Host.Name, got)
		}
		country[n.ID.Subnet] = countries[i]
	}
	// Every tunnel, in every state, stays within its country.
	crossings := func() error {
		t.Helper()
		for i, n := range d.Nodes {
			st, err := snapshot(n)
			if err != nil {
				return err
			}
			for _, tu := range st.Tunnels {
				if theirs := country[tu.Peer]; theirs != countries[i] {
					t.Errorf("%s (%s) has a tunnel %s %s with %s (%s)", n.Host.Name, countries[i], tu.ID, tu.State, tu.Peer, theirs)
				}
			}
		}
		return nil
	}
	waitNetwork(t, d, 90*time.Second, "h2's tunnel with h1, both in France", func() error {
		if err := crossings(); err != nil {
			return err
		}
		st, err := snapshot(d.Nodes[1])
		if err != nil {
			return err
		}
		for _, tu := range st.Tunnels {
			if tu.Peer == d.Nodes[0].ID.Subnet && tu.State == state.TunnelUp {
				return nil
			}
		}
		return fmt.Errorf("no tunnel up between h2 and h1")
	})
	// The German nodes met the rule: offered h1, they kept away.
	waitNetwork(t, d, 60*time.Second, "h3 and h4 keeping away from the French registry node", func() error {
		if err := crossings(); err != nil {
			return err
		}
		for _, n := range d.Nodes[2:] {
			log, _ := os.ReadFile(n.LogFile())
			if !strings.Contains(string(log), "not tunnelling to another country") {
				return fmt.Errorf("%s has not refused a French peer yet", n.Host.Name)
			}
		}
		return nil
	})
	// And it stays so while they keep trying (a lone node asks the
	// registry for a peer again every few seconds).
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if err := crossings(); err != nil {
			t.Fatal(err)
		}
	}
}
