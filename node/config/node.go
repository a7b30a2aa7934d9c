package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Protocols re6st tunnels over.
var protocols = []string{"udp", "tcp", "udp6", "tcp6"}

// DefaultDisabledProtocols are disabled unless --disable-proto says
// otherwise: re6st tunnels over TCP by default.
var DefaultDisabledProtocols = []string{"udp", "udp6"}

// nodeOptions are re6stnet's options.
var nodeOptions = []Option{
	{Long: "version", Short: 'V'},
	{Long: "ip", Args: 1, Repeat: true},
	{Long: "registry", Args: 1},
	{Long: "log", Short: 'l', Args: 1},
	{Long: "run", Short: 'r', Args: 1},
	{Long: "state", Short: 's', Args: 1},
	{Long: "verbose", Short: 'v', Args: 1},
	{Long: "interface", Short: 'i', Args: 1, Repeat: true},
	{Long: "main-interface", Short: 'I', Args: 1},
	{Long: "multicast", Short: 'm'},
	{Long: "up", Args: 1},
	{Long: "daemon", Args: 1, Repeat: true},
	{Long: "test", Args: 1},
	{Long: "console", Args: 1},
	{Long: "country", Args: 1},
	{Long: "babel-arg", Short: 'B', Args: 1, Repeat: true},
	{Long: "default", Short: 'D'},
	{Long: "table", Args: 1, Choices: []string{"0"}},
	{Long: "gateway"},
	{Long: "openvpn-arg", Short: 'O', Args: 1, Repeat: true},
	{Long: "ovpnlog"},
	{Long: "pp", Args: 2, Repeat: true},
	{Long: "dh", Args: 1},
	{Long: "ca", Args: 1},
	{Long: "cert", Args: 1},
	{Long: "key", Args: 1},
	{Long: "client-count", Args: 1},
	{Long: "max-clients", Args: 1},
	{Long: "remote-gateway", Args: 1, Repeat: true},
	{Long: "disable-proto", Args: 1, Repeat: true, Choices: append([]string{"none"}, protocols...)},
	{Long: "client", Args: 1},
	{Long: "neighbour", Args: 1, Repeat: true},
}

// PortProto is one --pp: a port to serve and announce with its protocol.
type PortProto struct {
	Port  uint16
	Proto string
}

// Node is re6stnet's configuration.
type Node struct {
	Registry      string
	CA, Cert, Key string
	DH            string // "" = fetch from the registry

	LogDir, RunDir, StateDir string
	Verbose                  int

	IP            []string // advertised addresses, or "any" / "upnp"
	Country       string
	Interfaces    []string // extra Babel interfaces for LAN discovery
	MainInterface string
	Multicast     bool
	Up            string
	Daemons       []string

	BabelArgs   []string
	Default     bool // route everything through re6st (no subtrees needed)
	Gateway     bool // export this host's default route to the network
	OpenVPNArgs []string
	OVPNLog     bool
	PP          []PortProto // served ports, preference order

	ClientCount, MaxClients *int // nil = from the network config
	RemoteGateways          []netip.Addr
	DisabledProtocols       []string
	Client                  string // --client remotes: no servers, one client
	Neighbours              []string
	ShowVersion             bool
}

// ParseNode parses re6stnet's command line, with @file option files.
func ParseNode(args []string) (*Node, error) {
	return parseNode(NewParser(nodeOptions), args)
}

func parseNode(p *Parser, args []string) (*Node, error) {
	set, err := p.Parse(args)
	if err != nil {
		return nil, err
	}
	if len(set.Positional) > 0 {
		a := set.Positional[0]
		return nil, &Error{a.Src, fmt.Sprintf("unexpected argument %q: options start with --", a.Text)}
	}
	n := &Node{
		LogDir:        "/var/log/re6stnet",
		RunDir:        "/var/run/re6stnet",
		StateDir:      "/var/lib/re6stnet",
		Verbose:       2,
		MainInterface: "lo",
		ShowVersion:   set.Has("version"),
	}
	if n.ShowVersion {
		return n, nil
	}
	str := func(name string, dst *string) {
		if o, ok := set.Last(name); ok {
			*dst = o.Values[0]
		}
	}
	strs := func(name string) []string {
		var out []string
		for _, o := range set.Options[name] {
			out = append(out, o.Values...)
		}
		return out
	}
	for name, dst := range map[string]*string{
		"registry": &n.Registry, "ca": &n.CA, "cert": &n.Cert, "key": &n.Key, "dh": &n.DH,
		"log": &n.LogDir, "run": &n.RunDir, "state": &n.StateDir, "country": &n.Country,
		"main-interface": &n.MainInterface, "up": &n.Up, "client": &n.Client,
	} {
		str(name, dst)
	}
	for _, req := range []string{"registry", "ca", "cert", "key"} {
		if !set.Has(req) {
			return nil, &Error{Msg: fmt.Sprintf("--%s is required (on the command line or as %q in the option file)", req, req)}
		}
	}
	n.IP, n.Interfaces, n.Daemons = strs("ip"), strs("interface"), strs("daemon")
	n.BabelArgs, n.OpenVPNArgs, n.Neighbours = strs("babel-arg"), strs("openvpn-arg"), strs("neighbour")
	n.Multicast, n.Default, n.Gateway, n.OVPNLog = set.Has("multicast"), set.Has("default"), set.Has("gateway"), set.Has("ovpnlog")
	if set.Has("table") {
		n.Default = true // --table 0 is the old spelling of --default
	}
	if n.Default && n.Gateway {
		o, _ := set.Last("gateway")
		return nil, &Error{o.Src, "--default and --gateway conflict: a gateway exports its default route, it does not take one from the network"}
	}
	var err2 error
	if n.Verbose, err2 = intOption(set, "verbose", n.Verbose, 0, 4); err2 != nil {
		return nil, err2
	}
	for _, name := range []string{"client-count", "max-clients"} {
		if !set.Has(name) {
			continue
		}
		v, err := intOption(set, name, 0, 0, 1<<16)
		if err != nil {
			return nil, err
		}
		if name == "client-count" {
			n.ClientCount = &v
		} else {
			n.MaxClients = &v
		}
	}
	if err := n.parseProtocols(set); err != nil {
		return nil, err
	}
	if err := n.parseIPs(set); err != nil {
		return nil, err
	}
	for _, o := range set.Options["remote-gateway"] {
		gw, err := netip.ParseAddr(o.Values[0])
		if err != nil || !gw.Is4() {
			return nil, &Error{o.Src, fmt.Sprintf("--remote-gateway %q: give the IPv4 address of a gateway", o.Values[0])}
		}
		n.RemoteGateways = append(n.RemoteGateways, gw)
	}
	return n, nil
}

func intOption(set *Set, name string, def, lo, hi int) (int, error) {
	o, ok := set.Last(name)
	if !ok {
		return def, nil
	}
	v, err := strconv.Atoi(o.Values[0])
	if err != nil || v < lo || v > hi {
		return 0, &Error{o.Src, fmt.Sprintf("--%s %q: give a whole number from %d to %d", name, o.Values[0], lo, hi)}
	}
	return v, nil
}

// parseProtocols applies --disable-proto (default udp, udp6; "none" wins)
// and checks --pp against it.
func (n *Node) parseProtocols(set *Set) error {
	disabled := set.Options["disable-proto"]
	switch {
	case len(disabled) == 0:
		n.DisabledProtocols = slices.Clone(DefaultDisabledProtocols)
	case slices.ContainsFunc(disabled, func(o Occurrence) bool { return o.Values[0] == "none" }):
		n.DisabledProtocols = nil
	default:
		for _, o := range disabled {
			if !slices.Contains(n.DisabledProtocols, o.Values[0]) {
				n.DisabledProtocols = append(n.DisabledProtocols, o.Values[0])
			}
		}
	}
	if n.Default {
		// Never tunnel over re6st itself.
		for _, p := range []string{"tcp6", "udp6"} {
			if !slices.Contains(n.DisabledProtocols, p) {
				n.DisabledProtocols = append(n.DisabledProtocols, p)
			}
		}
	}
	for _, o := range set.Options["pp"] {
		port, err := strconv.ParseUint(o.Values[0], 10, 16)
		if err != nil || port == 0 {
			return &Error{o.Src, fmt.Sprintf("--pp %s %s: the port must be a number from 1 to 65535", o.Values[0], o.Values[1])}
		}
		proto := o.Values[1]
		if !slices.Contains(protocols, proto) {
			return &Error{o.Src, fmt.Sprintf("--pp %s %s: the protocol must be one of %s", o.Values[0], proto, strings.Join(protocols, ", "))}
		}
		if slices.Contains(n.DisabledProtocols, proto) {
			return &Error{o.Src, fmt.Sprintf("--pp %s %s conflicts with --disable-proto %s: enable it with --disable-proto none or another list", o.Values[0], proto, proto)}
		}
		n.PP = append(n.PP, PortProto{uint16(port), proto})
	}
	if len(set.Options["pp"]) == 0 {
		for _, proto := range []string{"udp", "tcp"} {
			if !slices.Contains(n.DisabledProtocols, proto) {
				n.PP = append(n.PP, PortProto{1194, proto})
			}
		}
	}
	return nil
}

// parseIPs checks --ip: addresses, or for IPv4 a single "any" or "upnp"
// (IPv6 addresses may come with them: they are announced as given).
func (n *Node) parseIPs(set *Set) error {
	occ := set.Options["ip"]
	var special *Occurrence
	ipv4 := 0 // IPv4 addresses and host names
	for i, o := range occ {
		v := o.Values[0]
		if v == "any" || v == "upnp" {
			if special != nil {
				return &Error{o.Src, fmt.Sprintf("--ip %s cannot be combined with --ip %s", v, special.Values[0])}
			}
			special = &occ[i]
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil && (strings.ContainsAny(v, " /,;") || v == "") {
			return &Error{o.Src, fmt.Sprintf("--ip %q: give an IP address, a host name, any or upnp", v)}
		}
		// OpenVPN resolves names, so a host name is allowed too; it
		// counts as IPv4, the family re6st resolves it in.
		if err != nil || a.Is4() || a.Is4In6() {
			ipv4++
		}
	}
	if special != nil && ipv4 > 0 {
		return &Error{special.Src, fmt.Sprintf("--ip %s cannot be combined with IPv4 --ip addresses: it says how to find the IPv4 address", special.Values[0])}
	}
	return nil
}
