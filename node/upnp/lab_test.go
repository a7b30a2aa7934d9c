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
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pion/stun/v3"

	"re6st-tui/node/netlab"
)

// The lab's router gw masquerades the LAN behind 198.18.0.1 and runs
// Debian's miniupnpd; l1, behind it, maps a port; h1, on the internet
// side, connects through the mapping.
const (
	natTable  = "r6lupnp" // the nftables table miniupnpd fills
	stunPort  = 3478
	helperEnv = "RE6ST_UPNP_LAB_HELPER"
	// The helper's server port, mapped on the gateway.
	serverPort = 1194
)

// miniupnpd refuses to forward while its WAN address is a reserved one,
// as every lab address is, unless STUN shows the path to be open: so a
// STUN responder runs on h1, and the gateway is told to use it.
func TestLabMiniupnpd(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 1, LANHosts: 1, NAT: true})
	gw, h1, l1 := lab.Host("gw"), lab.Host("h1"), lab.Host("l1")
	wan := netip.MustParseAddr("198.18.0.1")

	serveSTUN(t, h1)
	startMiniupnpd(t, gw, h1.IPv4)

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
	rules := gw.Run(t, "nft", "list", "table", "inet", natTable)
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

// serveSTUN answers STUN binding requests on h with the address they came
// from, as a public STUN server does.
func serveSTUN(t *testing.T, h *netlab.Host) {
	var pc net.PacketConn
	err := h.Do(func() (err error) {
		pc, err = net.ListenPacket("udp4", netip.AddrPortFrom(h.IPv4, stunPort).String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if req.Decode() != nil || req.Type != stun.BindingRequest {
				continue
			}
			ua := from.(*net.UDPAddr)
			resp, err := stun.Build(req, stun.BindingSuccess,
				&stun.MappedAddress{IP: ua.IP, Port: ua.Port},
				&stun.XORMappedAddress{IP: ua.IP, Port: ua.Port})
			if err == nil {
				pc.WriteTo(resp.Raw, from)
			}
		}
	}()
}

// startMiniupnpd runs miniupnpd on gw with its nftables chains in a table
// of their own, forwarding to the lab's LAN only.
func startMiniupnpd(t *testing.T, gw *netlab.Host, stunHost netip.Addr) {
	dir := t.TempDir()
	ruleset := fmt.Sprintf(`table inet %[1]s {
	chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
	chain miniupnpd { }
	chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
	chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
`, natTable)
	nftFile := filepath.Join(dir, "upnp.nft")
	conf := filepath.Join(dir, "miniupnpd.conf")
	must(t, os.WriteFile(nftFile, []byte(ruleset), 0o600))
	must(t, os.WriteFile(conf, []byte(fmt.Sprintf(`ext_ifname=eth0
listening_ip=eth1
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
system_uptime=no
upnp_table_name=%[1]s
upnp_nat_table_name=%[1]s
ext_perform_stun=yes
ext_stun_host=%[2]s
ext_stun_port=%[3]d
uuid=3f5d3c5e-0000-4000-8000-000000000601
allow 1024-65535 198.19.0.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`, natTable, stunHost, stunPort)), 0o600))
	gw.Run(t, "nft", "-f", nftFile)
	p, err := gw.Start("/usr/sbin/miniupnpd", "-d", "-f", conf, "-P", filepath.Join(dir, "miniupnpd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	netlab.WaitFor(t, 20*time.Second, "miniupnpd to enable port forwarding", func() error {
		out := p.Output()
		select {
		case <-p.Done():
			return fmt.Errorf("miniupnpd exited: %v\n%s", p.Err(), out)
		default:
		}
		if strings.Contains(out, "Port forwarding is now enabled") {
			return nil
		}
		return fmt.Errorf("not yet:\n%s", out)
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("miniupnpd output:\n%s", p.Output())
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
