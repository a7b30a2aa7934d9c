package upnp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// The lab's router gw masquerades the LAN behind 198.18.0.1 and runs
// Debian's miniupnpd; l1, behind it, maps a port; h1, on the internet
// side, connects through the mapping.
const (
	helperEnv = "RE6ST_UPNP_LAB_HELPER"
	// The helper's server port, mapped on the gateway.
	serverPort = 1194
)

func TestLabMiniupnpd(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1, LANHosts: 1, NAT: true, UPnP: true})
	gw, h1, l1 := lab.Host("gw"), lab.Host("h1"), lab.Host("l1")
	wan := netip.MustParseAddr("198.18.0.1")

	t.Setenv(helperEnv, "1")
	helper, err := l1.Start(os.Args[0], "-test.run=^TestLabUPnPHelper$", "-test.v")
	if err != nil {
		t.Fatal(err)
	}
	var entry string
	netlab.WaitFor(t, 30*time.Second, "the helper in l1 to map its port", func() error {
		out := helper.Output()
		if m := regexp.MustCompile(`ENTRY (\S+,tcp)\n`).FindStringSubmatch(out); m != nil && strings.Contains(out, ",udp\n") {
			entry = m[1]
			return nil
		}
		select {
		case <-helper.Done():
			return fmt.Errorf("helper exited: %v\n%s", helper.Err(), helper.Output())
		default:
		}
		return errors.New("no mapping yet")
	})
	t.Logf("l1 advertises %s", entry)
	f := strings.Split(entry, ",")
	ext, err := netip.ParseAddrPort(f[0] + ":" + f[1])
	if err != nil || f[2] != TCP {
		t.Fatalf("entry %q: want ip,port,tcp", entry)
	}
	if ext.Addr() != wan {
		t.Errorf("external address %s, want gw's WAN address %s", ext.Addr(), wan)
	}
	if !strings.Contains(helper.Output(), "LISTED 2 ") || !strings.Contains(helper.Output(), ",udp\n") {
		t.Errorf("the IGD does not list the mapping:\n%s", helper.Output())
	}
	if got, err := dialFrom(h1, ext); err != nil || got != "l1" {
		t.Fatalf("h1 → %s: %q, %v; want l1's greeting through the mapping", ext, got, err)
	}

	defer func() { t.Logf("helper output:\n%s", helper.Output()) }()
	if err := helper.Stop(); err != nil {
		t.Logf("helper stop: %v", err)
	}
	if !strings.Contains(helper.Output(), "UNMAPPED LISTED 0") {
		t.Errorf("the IGD still lists mappings after Close:\n%s", helper.Output())
	}
	rules := gw.Run(t, "nft", "list", "table", "inet", netlab.UPnPTable)
	if strings.Contains(rules, fmt.Sprint(ext.Port())) {
		t.Errorf("gw still forwards port %d:\n%s", ext.Port(), rules)
	}
	if got, err := dialFrom(h1, ext); err == nil {
		t.Errorf("h1 → %s after unmapping: connected, read %q", ext, got)
	}
}

// TestLabUPnPHelper runs inside l1, started by TestLabMiniupnpd: it
// serves a greeting on serverPort, maps it for TCP and UDP, prints the
// entries, and on
// SIGTERM unmaps and prints what the IGD still lists.
func TestLabUPnPHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("runs inside the lab, started by TestLabMiniupnpd")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp4", fmt.Sprintf(":%d", serverPort))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go greet(ln, "l1")

	m, err := Start(ctx, Config{Ports: []Port{{serverPort, TCP}, {serverPort, UDP}}, Description: "re6stnet"})
	if err != nil {
		t.Fatal(err)
	}
	gw := m.gw // the test asks it for its list
	list, err := gw.List(ctx)
	fmt.Printf("LISTED %d %v %v\n", len(list), list, err)
	for _, e := range m.Entries() {
		fmt.Printf("ENTRY %s\n", e)
	}
	<-ctx.Done()
	bg := context.Background()
	if err := m.Close(bg); err != nil {
		t.Error(err)
	}
	list, err = gw.List(bg)
	fmt.Printf("UNMAPPED LISTED %d %v %v\n", len(list), list, err)
}

func greet(ln net.Listener, name string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		fmt.Fprintln(c, name)
		c.Close()
	}
}

// dialFrom connects from host h to dst and returns the line read.
func dialFrom(h *netlab.Host, dst netip.AddrPort) (string, error) {
	var c net.Conn
	err := h.Do(func() (err error) {
		c, err = net.DialTimeout("tcp4", dst.String(), 3*time.Second)
		return err
	})
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
