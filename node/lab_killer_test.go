package node_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/identity"
	"re6st-tui/node/netlab"
)

// TestLabTunnelKillHandshake lets tunnel_refresh rotate a tunnel out
// under echo streams between every two nodes. The tunnel killer drains
// then locks the client's end, asks the server (code 2), which drains and
// locks its end and answers (code 3), and only then is the tunnel closed:
// its two ends lose no echo request.
func TestLabTunnelKillHandshake(t *testing.T) {
	netlab.Require(t)
	d := formed(t, demo.Config{Nodes: 4, TunnelRefresh: 15 * time.Second})
	type pair struct{ from, to *demo.Node }
	streams := map[pair]*netlab.Stream{}
	for _, from := range d.Nodes {
		for _, to := range d.Nodes {
			if from == to {
				continue
			}
			p, err := from.Host.Prober(from.ID.Addr)
			if err != nil {
				t.Fatal(err)
			}
			s := p.Stream(to.ID.Addr, probeEvery)
			defer s.Stop()
			streams[pair{from, to}] = s
		}
	}
	// Only rotations that start once the streams run count.
	before := markLogs(d)
	var client, server *demo.Node
	waitNetwork(t, d, 90*time.Second, "a tunnel rotated out with the kill handshake", func() error {
		for _, n := range d.Nodes {
			cn, ok := handshakeDone(strings.Split(before.since(n), "\n"))
			if !ok {
				continue
			}
			for _, o := range d.Nodes {
				if identity.CN(o.ID.Prefix) == cn {
					client, server = n, o
					return nil
				}
			}
		}
		return fmt.Errorf("no tunnel removed by the kill handshake yet")
	})
	for p, s := range streams {
		sent, lost := s.Finish(time.Second)
		onTunnel := (p.from == client && p.to == server) || (p.from == server && p.to == client)
		t.Logf("%s → %s: %d echo requests, %d lost%s", p.from.Host.Name, p.to.Host.Name, sent, lost, map[bool]string{true: " (the tunnel's two ends)"}[onTunnel])
		if onTunnel && lost > 0 {
			t.Errorf("%s → %s lost %d of %d echo requests while their tunnel was rotated out", p.from.Host.Name, p.to.Host.Name, lost, sent)
		}
	}
	// Both sides say what they did.
	ccn, scn := identity.CN(client.ID.Prefix), identity.CN(server.ID.Prefix)
	for _, want := range []struct {
		n    *demo.Node
		line string
	}{
		{client, "kill request sent component=tunnel-manager peer=" + scn},
		{server, "kill request received: draining our end component=tunnel-manager peer=" + ccn},
		{server, "kill response sent component=tunnel-manager peer=" + ccn},
		{client, "kill response received: tunnel removed make-before-break component=tunnel-manager peer=" + scn},
	} {
		if !strings.Contains(before.since(want.n), want.line) {
			t.Errorf("%s did not log %q", want.n.Host.Name, want.line)
		}
	}
}

var (
	rotationLine = regexp.MustCompile(`rotating tunnel out .*peer=(\S+)`)
	removedLine  = regexp.MustCompile(`kill response received: tunnel removed make-before-break .*peer=(\S+)`)
)

// handshakeDone finds in log lines a tunnel rotation that started and
// ended with the kill handshake, and returns the CN of its peer.
func handshakeDone(lines []string) (string, bool) {
	started := map[string]bool{}
	for _, l := range lines {
		if m := rotationLine.FindStringSubmatch(l); m != nil {
			started[m[1]] = true
		}
		if m := removedLine.FindStringSubmatch(l); m != nil && started[m[1]] {
			return m[1], true
		}
	}
	return "", false
}
