package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"

	"re6st-tui/diag/system"
)

// defaults splits the main table's default routes into re6st's ("default
// from <network>") and the unqualified ones, each sorted by metric.
func defaults(routes []system.Route, network netip.Prefix) (re6st, plain []system.Route) {
	for _, r := range routes {
		if !r.IsDefault() || r.Table != system.TableMain || r.Type != system.TypeUnicast {
			continue
		}
		switch {
		case r.Src == network:
			re6st = append(re6st, r)
		case !r.HasSrc():
			plain = append(plain, r)
		}
	}
	// By metric, as the kernel prefers them; then by text, so reports are stable.
	byMetric := func(a, b system.Route) int {
		if a.Metric != b.Metric {
			return a.Metric - b.Metric
		}
		return strings.Compare(a.String(), b.String())
	}
	slices.SortFunc(re6st, byMetric)
	slices.SortFunc(plain, byMetric)
	return re6st, plain
}

func checkDefaultRoute(ctx context.Context, d *Doctor) Result {
	network := d.Node.Network.Masked()
	if !network.IsValid() {
		return result(Skip, "re6st network unknown: the node supplies it once enrolled")
	}
	routes, err := d.Sys.Routes()
	if err != nil {
		return result(Error, err.Error())
	}
	re6st, plain := defaults(routes, network)
	var details []string
	for _, r := range append(slices.Clone(re6st), plain...) {
		details = append(details, r.String())
	}
	if len(re6st) == 0 {
		return result(Skip, fmt.Sprintf("no re6st default route (default from %v): no gateway announces one yet", network), details...)
	}
	gw := re6st[0]
	if d.Node.Gateway {
		// A gateway exports its plain default into re6st: copying re6st's
		// default there would loop traffic back into the overlay.
		return result(OK, "this node is a re6st gateway: its own default route is the one it exports", details...)
	}
	fix, planned := d.re6stDefault(network, routes)
	if len(plain) == 0 {
		r := result(OK, fmt.Sprintf("only traffic from %v uses re6st's gateway %v; there is no other default route", network, gw.Via), details...)
		if planned {
			r.offer(fix)
		}
		return r
	}
	if best := plain[0]; best.Via == gw.Via && best.Dev == gw.Dev {
		return result(OK, fmt.Sprintf("all traffic goes through re6st's gateway %v dev %s", gw.Via, gw.Dev), details...)
	}
	best := plain[0]
	r := result(Warn, fmt.Sprintf("default route via %v dev %s (%s) takes all traffic not from %v; re6st's goes via %v dev %s",
		best.Via, best.Dev, protoName(best.Proto), network, gw.Via, gw.Dev), details...)
	if planned {
		r.offer(fix)
	}
	if best.Proto == system.ProtoRA && best.Dev != "" {
		if v, err := d.Sys.Sysctl("net.ipv6.conf." + best.Dev + ".accept_ra"); err == nil && v == "1" && d.forwarding() {
			r.offer(d.acceptRA2(best.Dev))
		}
	}
	return r
}

func protoName(p int) string {
	s := system.Route{Proto: p}.String()
	if i := strings.Index(s, "proto "); i >= 0 {
		return strings.Fields(s[i:])[1]
	}
	return fmt.Sprintf("proto %d", p)
}

func (d *Doctor) forwarding() bool {
	v, err := d.Sys.Sysctl("net.ipv6.conf.all.forwarding")
	return err == nil && v == "1"
}

// uplinks are the interfaces that carry a plain default route or any route
// learned from router advertisements: where advertisements matter.
func uplinks(routes []system.Route) map[string]bool {
	up := map[string]bool{}
	for _, r := range routes {
		if r.Dev != "" && (r.Proto == system.ProtoRA || (r.IsDefault() && !r.HasSrc() && r.Proto != system.ProtoStatic)) {
			up[r.Dev] = true
		}
	}
	return up
}

// hasPlainDefault reports whether the main table has a default route
// for every source.
func hasPlainDefault(routes []system.Route) bool {
	return slices.ContainsFunc(routes, func(r system.Route) bool {
		return r.IsDefault() && !r.HasSrc() && r.Table == system.TableMain && r.Type == system.TypeUnicast
	})
}

func checkForwarding(ctx context.Context, d *Doctor) Result {
	all, err := d.Sys.Sysctl("net.ipv6.conf.all.forwarding")
	if err != nil {
		return result(Error, err.Error())
	}
	links, err := d.Sys.Links()
	if err != nil {
		return result(Error, err.Error())
	}
	routes, err := d.Sys.Routes()
	if err != nil {
		return result(Error, err.Error())
	}
	up := uplinks(routes)
	if len(up) == 0 && !hasPlainDefault(routes) {
		// No default route at all: maybe the RA one already expired, so
		// every interface that could have learned it is a suspect.
		for _, l := range links {
			if l.Up && l.Name != "lo" && !d.isRe6stIface(l.Name) {
				up[l.Name] = true
			}
		}
	}
	details := []string{"all: forwarding=" + all}
	var bad []string
	var fixes []Fix
	for _, l := range links {
		if l.Name == "lo" {
			continue
		}
		fw, err1 := d.Sys.Sysctl("net.ipv6.conf." + l.Name + ".forwarding")
		ra, err2 := d.Sys.Sysctl("net.ipv6.conf." + l.Name + ".accept_ra")
		if err1 != nil || err2 != nil {
			continue // no IPv6 on it
		}
		line := fmt.Sprintf("%s: forwarding=%s accept_ra=%s", l.Name, fw, ra)
		if up[l.Name] {
			line += " (uplink)"
			if fw == "1" && ra == "1" {
				bad = append(bad, l.Name)
				fixes = append(fixes, d.acceptRA2(l.Name))
			}
		}
		details = append(details, line)
	}
	if len(bad) > 0 {
		r := result(Warn, fmt.Sprintf("%s: forwarding is on and accept_ra=1, so the kernel ignores router advertisements and the default route will expire",
			strings.Join(bad, ", ")), details...)
		for _, f := range fixes {
			r.offer(f)
		}
		return r
	}
	if all != "1" {
		r := result(Warn, "IPv6 forwarding is off: this node cannot route for its subnet or its peers", details...)
		r.offer(d.sysctlFix("forwarding", "set net.ipv6.conf.all.forwarding=1", "net.ipv6.conf.all.forwarding", "1"))
		return r
	}
	return result(OK, "forwarding is on and every uplink still honours router advertisements", details...)
}

// subtreeProbe is the route re6st adds to learn whether the kernel has
// IPv6 subtrees (source-specific routing).
var subtreeProbe = system.Route{
	Dst: netip.MustParsePrefix("::/128"), Src: netip.MustParsePrefix("::/128"),
	Table: system.TableMain, Metric: 1024, Proto: system.ProtoStatic, Type: system.TypeUnreach,
}

func checkSubtrees(ctx context.Context, d *Doctor) Result {
	err := d.Sys.AddRoute(subtreeProbe)
	switch {
	case err == nil:
		if err := d.Sys.DeleteRoute(subtreeProbe); err != nil {
			return result(Error, fmt.Sprintf("probe route left behind: %v: delete it with ip -6 route del %v", err, subtreeProbe))
		}
		return result(OK, "the kernel routes by source address: re6st's default from <network> works")
	case errors.Is(err, syscall.EEXIST):
		return result(OK, "the kernel routes by source address (the probe route already exists)")
	case errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EINVAL):
		return result(Fail, "the kernel lacks IPv6 subtrees (CONFIG_IPV6_SUBTREES): re6st cannot keep its default route to its own traffic and disables tunnels over IPv6; use a kernel built with it", err.Error())
	}
	return result(Error, fmt.Sprintf("subtree probe: %v", err))
}

func checkUnderlayLoop(ctx context.Context, d *Doctor) Result {
	if len(d.Node.Remotes) == 0 || len(d.Node.Interfaces) == 0 {
		return result(Skip, "no tunnels to check")
	}
	var details, loops []string
	for _, rm := range d.Node.Remotes {
		r, err := d.Sys.RouteGet(rm.Addr, netip.Addr{})
		if err != nil {
			details = append(details, fmt.Sprintf("%s → %v: %v", rm.Tunnel, rm.Addr, err))
			continue
		}
		line := fmt.Sprintf("%s → %v: dev %s", rm.Tunnel, rm.Addr, r.Dev)
		if slices.Contains(d.Node.Interfaces, r.Dev) {
			loops = append(loops, fmt.Sprintf("%s (to %v via %s)", rm.Tunnel, rm.Addr, r.Dev))
			line += " (re6st interface)"
		}
		details = append(details, line)
	}
	if len(loops) > 0 {
		return result(Fail, "tunnels whose underlay leaves through re6st itself, they will collapse: "+strings.Join(loops, ", ")+"; route the remote through the uplink", details...)
	}
	what := fmt.Sprintf("the %d tunnels' endpoints leave", len(d.Node.Remotes))
	if len(d.Node.Remotes) == 1 {
		what = "the tunnel's endpoint leaves"
	}
	return result(OK, what+" through the underlay", details...)
}
