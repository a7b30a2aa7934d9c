package doctor

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
)

// fwTarget is traffic re6st needs through the firewall.
type fwTarget struct {
	port   Port
	what   string
	v6only bool
}

func (d *Doctor) fwTargets() []fwTarget {
	t := []fwTarget{
		{Port{"udp", 6696}, "Babel from fe80::/10", true},
		{Port{"udp", 326}, "the re6st peer protocol to " + addrOr(d.Node.Addr, "the re6st address"), true},
	}
	for _, p := range d.Node.TunnelPorts {
		t = append(t, fwTarget{p, "OpenVPN tunnels", false})
	}
	return t
}

func addrOr(a interface{ IsValid() bool }, s string) string {
	if a.IsValid() {
		return fmt.Sprint(a)
	}
	return s
}

func (t fwTarget) family(f string) bool {
	switch f {
	case "inet", "ip6":
		return true
	case "ip":
		return !t.v6only
	}
	return false
}

// hits reports whether r matches t's traffic.
func (t fwTarget) hits(r fwRule) bool {
	if !t.family(r.family) || len(r.ports) == 0 {
		return false
	}
	protoOK := len(r.protos) == 0
	for _, p := range r.protos {
		if p == t.port.Proto || p == "th" {
			protoOK = true
		}
	}
	if !protoOK {
		return false
	}
	for _, pr := range r.ports {
		if pr.lo <= t.port.Port && t.port.Port <= pr.hi {
			return true
		}
	}
	return false
}

func checkFirewall(ctx context.Context, d *Doctor) Result {
	var rules []fwRule
	var chains []fwChain
	var sources []string
	if d.Exec.LookPath("nft") == nil {
		out, err := d.Exec.Output(ctx, "nft", "-j", "list", "ruleset")
		if err != nil {
			return result(Error, fmt.Sprintf("nft -j list ruleset: %v (needs root)", err))
		}
		r, c, err := parseNft(out)
		if err != nil {
			return result(Error, err.Error())
		}
		rules, chains, sources = append(rules, r...), append(chains, c...), append(sources, "nftables")
	}
	// iptables-nft rules are already in the nft ruleset; only the legacy
	// backend needs reading on its own.
	for _, t := range []struct{ tool, family string }{{"ip6tables-save", "ip6"}, {"iptables-save", "ip"}} {
		if d.Exec.LookPath(t.tool) != nil {
			continue
		}
		out, err := d.Exec.Output(ctx, t.tool)
		if err != nil || !bytes.Contains(out, []byte("(legacy)")) {
			continue
		}
		r, c := parseIptablesSave(out, t.family)
		rules, chains, sources = append(rules, r...), append(chains, c...), append(sources, t.tool)
	}
	if len(sources) == 0 {
		return result(Skip, "neither nft nor iptables is installed: nothing to inspect")
	}
	var fails, warns, details []string
	for _, t := range d.fwTargets() {
		label := fmt.Sprintf("%s %d (%s)", t.port.Proto, t.port.Port, t.what)
		for _, r := range rules {
			if t.hits(r) && (r.verdict == "drop" || r.verdict == "reject") {
				fails = append(fails, label)
				details = append(details, fmt.Sprintf("%s %ss %s", r.where, r.verdict, label))
			}
		}
		for _, c := range chains {
			if c.hook != "input" || c.policy != "drop" || !t.family(c.family) {
				continue
			}
			accepted := slices.ContainsFunc(rules, func(r fwRule) bool { return r.chain == c.id && r.verdict == "accept" && t.hits(r) })
			if !accepted {
				warns = append(warns, label)
				details = append(details, fmt.Sprintf("%s drops by policy and no rule there accepts %s", c.where, label))
			}
		}
	}
	fails, warns = slices.Compact(fails), slices.Compact(warns)
	src := strings.Join(sources, ", ")
	switch {
	case len(fails) > 0:
		return result(Fail, "the firewall drops "+strings.Join(fails, ", ")+": accept them for re6st to work", details...)
	case len(warns) > 0:
		return result(Warn, "input policy is drop and nothing explicitly accepts "+strings.Join(warns, ", ")+": check an earlier rule allows it", details...)
	}
	return result(OK, fmt.Sprintf("no %s rule drops Babel, the peer protocol or the tunnel ports", src), details...)
}
