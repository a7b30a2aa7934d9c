package netlab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Host is one namespace of a lab.
type Host struct {
	// Name is the host's name in the lab: "h1", "l1", "gw".
	Name string
	// NS is the namespace name, unique across labs, for `ip netns exec`.
	NS string
	// Iface is the uplink interface, "eth0".
	Iface string
	// IPv4 and IPv6 are the uplink's underlay addresses.
	IPv4, IPv6 netip.Addr
	// LinkLocal is the uplink's fe80:: address.
	LinkLocal netip.Addr

	lab    *Lab
	ns     netns.NsHandle
	handle *netlink.Handle
}

// sysctls every lab host gets: what a re6st node needs, and DAD off so
// addresses work the moment they are added.
var hostSysctls = [][2]string{
	{"net.ipv6.conf.all.disable_ipv6", "0"},
	{"net.ipv6.conf.default.disable_ipv6", "0"},
	{"net.ipv6.conf.all.accept_dad", "0"},
	{"net.ipv6.conf.default.accept_dad", "0"},
	{"net.ipv6.conf.all.forwarding", "1"},
	{"net.ipv6.conf.default.forwarding", "1"},
	{"net.ipv4.ip_forward", "1"},
	{"net.ipv4.ping_group_range", "0 2147483647"},
}

func (l *Lab) newHost(name string) (*Host, error) {
	nsName := Namespace(l.id, name)
	ns, err := newNamedNS(nsName)
	if err != nil {
		return nil, err
	}
	h := &Host{Name: name, NS: nsName, lab: l, ns: ns}
	l.byName[name] = h
	if h.handle, err = netlink.NewHandleAt(ns); err != nil {
		return nil, fmt.Errorf("netlink handle in %s: %w", nsName, err)
	}
	lo, err := h.handle.LinkByName("lo")
	if err != nil {
		return nil, fmt.Errorf("%s: find lo: %w", name, err)
	}
	if err := h.handle.LinkSetUp(lo); err != nil {
		return nil, fmt.Errorf("%s: set lo up: %w", name, err)
	}
	for _, s := range hostSysctls {
		if err := h.Sysctl(s[0], s[1]); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *Host) close() {
	if h.handle != nil {
		h.handle.Close()
	}
	h.ns.Close()
}

// addBridge creates a bridge that forwards at once (no STP delay, no
// multicast snooping that would hold back neighbour discovery).
func (h *Host) addBridge(name string) error {
	off := false
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}, MulticastSnooping: &off}
	if err := h.handle.LinkAdd(br); err != nil {
		return fmt.Errorf("%s: add bridge %s: %w", h.Name, name, err)
	}
	if err := h.handle.LinkSetUp(br); err != nil {
		return fmt.Errorf("%s: set bridge %s up: %w", h.Name, name, err)
	}
	return nil
}

// plug joins h to the bridge in sw with a veth named iface on h's side,
// addressed v4/24 and v6/64.
func (l *Lab) plug(h, sw *Host, iface string, v4, v6 netip.Addr) error {
	br, err := sw.handle.LinkByName("br0")
	if err != nil {
		return fmt.Errorf("%s: find bridge: %w", sw.Name, err)
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: h.Name + "-" + iface, MasterIndex: br.Attrs().Index},
		PeerName:      iface,
		PeerNamespace: netlink.NsFd(int(h.ns)),
	}
	if err := sw.handle.LinkAdd(veth); err != nil {
		return fmt.Errorf("add veth %s/%s: %w", h.Name, iface, err)
	}
	if err := sw.handle.LinkSetUp(veth); err != nil {
		return fmt.Errorf("set %s up: %w", veth.Name, err)
	}
	link, err := h.handle.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("%s: find %s: %w", h.Name, iface, err)
	}
	for _, a := range []netip.Prefix{netip.PrefixFrom(v4, 24), netip.PrefixFrom(v6, 64)} {
		if err := h.handle.AddrAdd(link, &netlink.Addr{IPNet: ipNet(a), Flags: nodadFlag}); err != nil {
			return fmt.Errorf("%s: add %s to %s: %w", h.Name, a, iface, err)
		}
	}
	if err := h.handle.LinkSetUp(link); err != nil {
		return fmt.Errorf("%s: set %s up: %w", h.Name, iface, err)
	}
	if h.Iface == "" {
		h.Iface, h.IPv4, h.IPv6 = iface, v4, v6
		if h.LinkLocal, err = h.waitLinkLocal(link); err != nil {
			return err
		}
	}
	return nil
}

// waitLinkLocal returns the link-local address the kernel gives link once
// it has carrier.
func (h *Host) waitLinkLocal(link netlink.Link) (netip.Addr, error) {
	var ll netip.Addr
	err := Poll(context.Background(), 5*time.Second, h.Name+" link-local address", func() error {
		addrs, err := h.handle.AddrList(link, netlink.FAMILY_V6)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.IsLinkLocalUnicast() {
				ll = ip
				return nil
			}
		}
		return fmt.Errorf("none yet on %s", link.Attrs().Name)
	})
	return ll, err
}

// nodadFlag is IFA_F_NODAD: the address is usable at once.
const nodadFlag = 0x02

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func (h *Host) addDefaultRoutes(v4, v6 netip.Addr) error {
	return h.addRoutes(netip.MustParsePrefix("0.0.0.0/0"), v4, netip.MustParsePrefix("::/0"), v6)
}

func (h *Host) addRoutes(dst4 netip.Prefix, via4 netip.Addr, dst6 netip.Prefix, via6 netip.Addr) error {
	for _, r := range []struct {
		dst netip.Prefix
		via netip.Addr
	}{{dst4, via4}, {dst6, via6}} {
		route := &netlink.Route{Dst: ipNet(r.dst), Gw: r.via.AsSlice()}
		if err := h.handle.RouteAdd(route); err != nil {
			return fmt.Errorf("%s: route %s via %s: %w", h.Name, r.dst, r.via, err)
		}
	}
	return nil
}

// masquerade NATs everything leaving through wan, with nftables.
func (h *Host) masquerade(wan string) error {
	rules := fmt.Sprintf("table ip nat {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname %q masquerade\n }\n}\n", wan)
	cmd := h.Command(context.Background(), "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: nftables masquerade: %w: %s (install the nftables package)", h.Name, err, out)
	}
	return nil
}

// Handle returns a netlink handle bound to the host's namespace.
func (h *Host) Handle() *netlink.Handle { return h.handle }

// Do runs fn on an OS thread inside the host's namespace. Sockets fn creates
// stay in the namespace after it returns; goroutines fn starts do not run
// in the namespace.
func (h *Host) Do(fn func() error) error { return onThread(h.ns, fn) }

// Sysctl sets a sysctl of the host's namespace, e.g.
// Sysctl("net.ipv6.conf.all.forwarding", "1").
func (h *Host) Sysctl(key, value string) error {
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	err := h.Do(func() error { return os.WriteFile(path, []byte(value), 0o644) })
	if err != nil {
		return fmt.Errorf("%s: sysctl %s=%s: %w", h.Name, key, value, err)
	}
	return nil
}

// Command returns a command that runs inside the host's namespace through
// `ip netns exec`, which also gives it the namespace's view of /sys.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// Run runs a command inside the host to completion and returns its combined
// output; any failure fails the test.
func (h *Host) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := h.Command(context.Background(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %s %s: %v\n%s", h.Name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// NextHop is the "via ... dev ..." of a route as `ip route` prints it, ""
// for a route without a gateway.
func NextHop(route string) string {
	f := strings.Fields(route)
	for i := 0; i+3 < len(f); i++ {
		if f[i] == "via" && f[i+2] == "dev" {
			return strings.Join(f[i:i+4], " ")
		}
	}
	return ""
}
