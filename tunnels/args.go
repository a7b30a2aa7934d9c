package tunnels

import (
	"net"
	"strconv"
)

// verb is OpenVPN's log level for every child: 4 is the lowest that
// prints the data channel MTU, which the tap must be given (re6st's up
// hook got it as an argument).
const verb = "4"

// common returns the options every openvpn child gets (re6st-protocol §5.2),
// minus the hook scripts, which management events replace.
func (c *Config) common(iface string) []string {
	a := []string{"--dev-type", "tap", "--dev", iface, "--persist-tun", "--persist-key",
		"--script-security", "1", "--verb", verb}
	a = append(a, c.ExtraArgs...)
	a = append(a, "--ca", c.CA, "--cert", c.Cert, "--key", c.Key)
	if c.CRLDir != "" {
		a = append(a, "--crl-verify", c.CRLDir, "dir")
	}
	if c.IPv4.IsValid() {
		mask := net.CIDRMask(c.IPv4.Bits(), 32)
		a = append(a, "--ifconfig", c.IPv4.Addr().String(), net.IP(mask).String())
	}
	if !c.Encrypt {
		// OpenVPN 2.4 spelled this --cipher none --ncp-disable; 2.6 has no
		// --ncp-disable and negotiates from --data-ciphers, so "none" must
		// be the only data cipher. --cipher none still serves peers that
		// do not negotiate (re6st nodes on 2.4).
		a = append(a, "--cipher", "none", "--data-ciphers", "none")
	}
	return a
}

func (c *Config) pingExit() string {
	return strconv.Itoa(int(4 * c.Hello.Seconds()))
}

// serverArgs is §5.3; client-connect/disconnect come through
// --management-client-auth instead of scripts.
func (c *Config) serverArgs(p Proto, port uint16) []string {
	a := []string{"--tls-server", "--mode", "server", "--dh", c.DH,
		"--max-clients", strconv.Itoa(c.MaxClients),
		"--port", strconv.Itoa(int(port)), "--proto", p.serverProto()}
	if p.IPv6() {
		// Keep the IPv6 server off IPv4 so that tcp and tcp6 (or udp and
		// udp6) can share a port, each on its own tap.
		a = append(a, "--bind", "ipv6only")
	}
	if m := p.linkMTU(true); m > 0 {
		a = append(a, "--link-mtu", strconv.Itoa(m), "--mtu-disc", "yes")
	}
	a = append(a, "--ping-exit", c.pingExit())
	return append(a, c.common(p.Iface())...)
}

// clientArgs is §5.4 for one address; the route-up hook becomes the
// CONNECTED state.
func (c *Config) clientArgs(iface, cn string, to Address) []string {
	a := []string{"--nobind", "--client", "--remote", to.AddrPort.Addr().String(),
		strconv.Itoa(int(to.AddrPort.Port())), to.Proto.clientProto()}
	if m := to.Proto.linkMTU(false); m > 0 {
		// Over UDP the server would only notice our exit after --ping-exit;
		// one exit notification lets it report the disconnect at once.
		a = append(a, "--link-mtu", strconv.Itoa(m), "--mtu-disc", "yes", "--explicit-exit-notify", "1")
	}
	a = append(a, "--verify-x509-name", cn, "name", "--resolv-retry", "0",
		"--connect-retry-max", "3", "--tls-exit", "--remap-usr1", "SIGTERM",
		"--ping-exit", c.pingExit())
	return append(a, c.common(iface)...)
}
