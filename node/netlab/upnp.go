package netlab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pion/stun/v3"
)

// UPnPTable is the nftables table (family inet) of the router gw in which
// miniupnpd keeps its port forwards; a test reads it to see the mappings.
const UPnPTable = "r6lupnp"

// stunPort is where gw answers STUN, for miniupnpd's own check.
const stunPort = 3478

// startUPnP makes gw an Internet gateway device: Debian's miniupnpd,
// serving the LAN, forwarding ports from gw's WAN address.
//
// miniupnpd refuses to forward while its WAN address is a reserved one,
// as every lab address is, unless STUN shows the path to be open: so gw
// also answers STUN on its WAN address, as a public STUN server would.
func (l *Lab) startUPnP(ctx context.Context) error {
	gw := l.Host("gw")
	if err := l.serveSTUN(gw); err != nil {
		return err
	}
	dir, err := l.MkdirTemp("upnp")
	if err != nil {
		return err
	}
	l.dir = dir
	ruleset := fmt.Sprintf(`table inet %[1]s {
	chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
	chain miniupnpd { }
	chain prerouting { type nat hook prerouting priority -100; policy accept; jump prerouting_miniupnpd; }
	chain postrouting { type nat hook postrouting priority 100; policy accept; jump postrouting_miniupnpd; }
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
`, UPnPTable)
	cmd := gw.Command(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("gw: nftables table for miniupnpd: %w: %s", err, out)
	}
	conf := filepath.Join(dir, "miniupnpd.conf")
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`ext_ifname=eth0
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
allow 1024-65535 %[4]s 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
`, UPnPTable, gw.IPv4, stunPort, lanV4)), 0o600)
	if err != nil {
		return err
	}
	bin := "/usr/sbin/miniupnpd"
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("miniupnpd: %w (install the miniupnpd package)", err)
	}
	p, err := gw.Start(bin, "-d", "-f", conf, "-P", filepath.Join(dir, "miniupnpd.pid"))
	if err != nil {
		return err
	}
	return Poll(ctx, 20*time.Second, "miniupnpd to enable port forwarding", func() error {
		select {
		case <-p.Done():
			return fmt.Errorf("miniupnpd exited: %v\n%s", p.Err(), p.Output())
		default:
		}
		if strings.Contains(p.Output(), "Port forwarding is now enabled") {
			return nil
		}
		return errors.New("not yet")
	})
}

// serveSTUN answers STUN binding requests on h's IPv4 address with the
// address they came from, until the lab closes.
func (l *Lab) serveSTUN(h *Host) error {
	var pc net.PacketConn
	err := h.Do(func() (err error) {
		pc, err = net.ListenPacket("udp4", netip.AddrPortFrom(h.IPv4, stunPort).String())
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: STUN responder: %w", h.Name, err)
	}
	l.closers = append(l.closers, func() { pc.Close() })
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
	return nil
}
