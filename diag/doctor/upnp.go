package doctor

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// UPnP is what the running node knows of the port mappings that make its
// IPv4 servers reachable from behind a home router (re6stnet --ip upnp,
// or no IPv4 --ip at all).
type UPnP struct {
	Phase    string // "", "searching", "mapped" or "failed", as the node's state says
	Asked    bool   // --ip upnp was given: the node cannot do without it
	Gateway  string // the gateway's service and address
	External netip.Addr
	Mappings []Mapping
	Renewed  time.Time // when the mappings were last made or renewed
	Error    string    // why the last attempt failed
	Ports    []Port    // the IPv4 server ports that want mapping
}

// Mapping is one server port the gateway forwards.
type Mapping struct {
	Proto              string
	Internal, External uint16
}

// upnpStale is how old the last renewal may be before the mappings are
// in doubt: the node renews every few minutes, and a gateway drops a
// mapping whose lease ends.
const upnpStale = 30 * time.Minute

func checkUPnP(_ context.Context, d *Doctor) Result {
	u := d.Node.UPnP
	if u == nil {
		return result(Skip, "the node's UPnP state is unknown: the node is not running, or its configuration was not found (--config)")
	}
	ports := portList(u.Ports)
	switch u.Phase {
	case "searching":
		return result(Skip, "the node is still looking for a UPnP gateway")
	case "mapped":
		return upnpMapped(d, u, ports)
	case "failed":
		r := result(Fail, "UPnP failed: "+orNone(u.Error)+"; peers outside the LAN cannot reach this node's servers",
			"turn on UPnP (IGD) in the router's settings: the node maps "+ports+" by itself once it can",
			"or forward "+ports+" on the router to this host by hand and give re6stnet --ip <the router's public address>")
		if u.Gateway != "" {
			r.Details = append([]string{"gateway: " + u.Gateway}, r.Details...)
		}
		return r
	}
	if u.Error != "" {
		return result(Skip, "no UPnP gateway on the LAN: peers reach this node's servers at the address they see it from",
			"the search said: "+u.Error,
			"behind a NAT, forward "+ports+" on the router by hand and give re6stnet --ip <the router's public address>")
	}
	return result(Skip, "UPnP not used: --ip gives the servers' address, or there is no IPv4 server")
}

func upnpMapped(d *Doctor, u *UPnP, ports string) Result {
	var maps []string
	for _, m := range u.Mappings {
		maps = append(maps, fmt.Sprintf("%s:%d/%s → port %d", u.External, m.External, m.Proto, m.Internal))
	}
	details := []string{"gateway: " + orNone(u.Gateway), "mappings: " + strings.Join(maps, ", ")}
	if !u.Renewed.IsZero() {
		details = append(details, "renewed: "+u.Renewed.UTC().Format(time.RFC3339))
	}
	switch {
	case u.Error != "":
		return result(Warn, "the gateway's mappings are not all in place: "+u.Error,
			append(details, "the node tries again at its next renewal; if this lasts, forward "+ports+
				" on the router by hand and give re6stnet --ip <the router's public address>")...)
	case !u.Renewed.IsZero() && d.now().Sub(u.Renewed) > upnpStale:
		return result(Warn, fmt.Sprintf("the mappings were last renewed %s ago: the gateway drops them when their lease ends",
			d.now().Sub(u.Renewed).Round(time.Minute)),
			append(details, "the node's log says why renewing stopped (re6st-tui, tab 4, /upnp)")...)
	}
	return result(OK, "peers reach this node's servers at "+strings.Join(maps, ", "), details...)
}

// portList names ports as "1194/udp and 1194/tcp", or "the server ports".
func portList(ps []Port) string {
	if len(ps) == 0 {
		return "the server ports"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = fmt.Sprintf("%d/%s", p.Port, p.Proto)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func orNone(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
