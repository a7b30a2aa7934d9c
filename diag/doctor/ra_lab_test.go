package doctor

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"

	"re6st-tui/node/netlab"
)

// sendRA sends one router advertisement from h to all nodes on its uplink:
// "I am a default router for lifetime".
func sendRA(t *testing.T, h *netlab.Host, lifetime time.Duration) {
	body := make([]byte, 12) // hop limit, flags, router lifetime, reachable, retrans
	body[0] = 64
	binary.BigEndian.PutUint16(body[2:], uint16(lifetime/time.Second))
	msg, err := (&icmp.Message{Type: ipv6.ICMPTypeRouterAdvertisement, Body: &icmp.RawBody{Data: body}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = h.Do(func() error {
		c, err := icmp.ListenPacket("ip6:ipv6-icmp", "::")
		if err != nil {
			return err
		}
		defer c.Close()
		ifi, err := net.InterfaceByName(h.Iface)
		if err != nil {
			return err
		}
		p := c.IPv6PacketConn()
		// Hosts drop advertisements that crossed a router: hop limit 255.
		cm := &ipv6.ControlMessage{HopLimit: 255, IfIndex: ifi.Index, Src: h.LinkLocal.AsSlice()}
		_, err = p.WriteTo(msg, cm, &net.IPAddr{IP: net.ParseIP("ff02::1"), Zone: h.Iface})
		return err
	})
	if err != nil {
		t.Fatalf("send RA from %s: %v", h.Name, err)
	}
}

// With forwarding on, the kernel ignores router advertisements unless
// accept_ra=2: the fix makes a real RA install its default route again.
func TestLabAcceptRA2HonoursRouterAdvertisements(t *testing.T) {
	l := netlab.New(t, netlab.Config{Hosts: 2})
	h1, router := l.Host("h1"), l.Host("h2")
	if err := h1.Sysctl("net.ipv6.conf.eth0.accept_ra", "1"); err != nil {
		t.Fatal(err)
	}
	raDefault := func() error {
		out := h1.Run(t, "ip", "-6", "route", "show", "default", "proto", "ra")
		if !strings.Contains(out, "via "+router.LinkLocal.String()) {
			return fmt.Errorf("no RA default route: %q", out)
		}
		return nil
	}
	sendRA(t, router, 10*time.Minute)
	// Ignored: no route appears. Poll a little to be sure it is not late.
	if err := netlab.Poll(context.Background(), 500*time.Millisecond, "RA ignored", raDefault); err == nil {
		t.Fatal("kernel took an RA with forwarding on and accept_ra=1")
	}

	d := labDoctor(t, h1, Node{})
	r := runCheck(t, d, "forwarding")
	expect(t, r, Warn)
	fix, ok := r.Fix("accept-ra-2:eth0")
	if !ok {
		t.Fatalf("fixes %v", r.Fixes)
	}
	applied, err := fix.Apply(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sendRA(t, router, 10*time.Minute)
	netlab.WaitFor(t, 5*time.Second, "RA default route with accept_ra=2", raDefault)
	expect(t, runCheck(t, d, "forwarding"), OK)
	if err := applied.Revert(context.Background()); err != nil {
		t.Fatal(err)
	}
	expect(t, runCheck(t, d, "forwarding"), Warn)
}
