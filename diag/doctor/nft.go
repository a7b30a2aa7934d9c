package doctor

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// portRange is an inclusive range of ports.
type portRange struct{ lo, hi int }

// fwRule is a firewall rule reduced to what the firewall check needs.
type fwRule struct {
	where   string // e.g. "nft inet filter input handle 4"
	family  string // ip, ip6, inet, ... ("" for iptables: set by the tool)
	chain   string // chain id, to pair with policies
	protos  []string
	ports   []portRange // destination ports; empty: any
	verdict string      // drop, reject, accept, or "" (no verdict: jump, counter...)
}

// fwChain is a base chain's policy.
type fwChain struct {
	id, where, family, hook, policy string
}

// parseNft reads `nft -j list ruleset`. Malformed input is an error;
// expressions it does not understand make a rule match nothing.
func parseNft(b []byte) ([]fwRule, []fwChain, error) {
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse nft -j output: %w", err)
	}
	var rules []fwRule
	var chains []fwChain
	for _, obj := range doc.Nftables {
		if raw, ok := obj["chain"]; ok {
			var c struct{ Family, Table, Name, Hook, Policy string }
			if json.Unmarshal(raw, &c) == nil && c.Hook != "" {
				id := c.Family + " " + c.Table + " " + c.Name
				chains = append(chains, fwChain{id: id, where: "nft " + id, family: c.Family, hook: c.Hook, policy: c.Policy})
			}
		}
		raw, ok := obj["rule"]
		if !ok {
			continue
		}
		var r struct {
			Family, Table, Chain string
			Handle               int
			Expr                 []map[string]json.RawMessage
		}
		if json.Unmarshal(raw, &r) != nil {
			continue
		}
		id := r.Family + " " + r.Table + " " + r.Chain
		rule := fwRule{where: fmt.Sprintf("nft %s handle %d", id, r.Handle), family: r.Family, chain: id}
		if nftExprs(&rule, r.Expr) {
			rules = append(rules, rule)
		}
	}
	return rules, chains, nil
}

// nftExprs fills rule from a rule's expressions; false means the rule
// cannot be understood (a negated port match, say) and is left out.
func nftExprs(rule *fwRule, exprs []map[string]json.RawMessage) bool {
	for _, e := range exprs {
		for _, v := range []string{"drop", "reject", "accept"} {
			if _, ok := e[v]; ok {
				rule.verdict = v
			}
		}
		raw, ok := e["match"]
		if !ok {
			continue
		}
		var m struct {
			Op    string
			Left  map[string]json.RawMessage
			Right json.RawMessage
		}
		if json.Unmarshal(raw, &m) != nil {
			return false
		}
		var p struct{ Protocol, Field string }
		if pl, ok := m.Left["payload"]; !ok || json.Unmarshal(pl, &p) != nil || p.Field != "dport" {
			continue
		}
		if m.Op != "==" && m.Op != "in" {
			return false
		}
		ports, ok := nftPorts(m.Right)
		if !ok {
			return false
		}
		rule.protos = append(rule.protos, p.Protocol)
		rule.ports = append(rule.ports, ports...)
	}
	return true
}

func nftPorts(raw json.RawMessage) ([]portRange, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return []portRange{{n, n}}, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, err := strconv.Atoi(s)
		return []portRange{{n, n}}, err == nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, false
	}
	if r, ok := obj["range"]; ok {
		var ab []int
		if json.Unmarshal(r, &ab) != nil || len(ab) != 2 {
			return nil, false
		}
		return []portRange{{ab[0], ab[1]}}, true
	}
	if set, ok := obj["set"]; ok {
		var elems []json.RawMessage
		if json.Unmarshal(set, &elems) != nil {
			return nil, false
		}
		var out []portRange
		for _, el := range elems {
			p, ok := nftPorts(el)
			if !ok {
				return nil, false
			}
			out = append(out, p...)
		}
		return out, true
	}
	return nil, false
}

// parseIptablesSave reads iptables-save or ip6tables-save output; family
// is "ip" or "ip6".
func parseIptablesSave(b []byte, family string) ([]fwRule, []fwChain) {
	var rules []fwRule
	var chains []fwChain
	table := ""
	for n, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(f[0], "*"):
			table = f[0][1:]
		case strings.HasPrefix(f[0], ":") && len(f) >= 2 && table == "filter":
			name := f[0][1:]
			id := family + "tables filter " + name
			chains = append(chains, fwChain{id: id, where: id, family: family, hook: strings.ToLower(name), policy: strings.ToLower(f[1])})
		case f[0] == "-A" && len(f) >= 2 && table == "filter":
			id := family + "tables filter " + f[1]
			r := fwRule{where: fmt.Sprintf("%s line %d", id, n+1), family: family, chain: id}
			if iptablesRule(&r, f[2:]) {
				rules = append(rules, r)
			}
		}
	}
	return rules, chains
}

func iptablesRule(r *fwRule, f []string) bool {
	for i := 0; i < len(f); i++ {
		arg := func() string {
			if i+1 < len(f) {
				i++
				return f[i]
			}
			return ""
		}
		switch f[i] {
		case "!":
			return false // negations are beyond this check
		case "-p", "--protocol":
			r.protos = append(r.protos, arg())
		case "--dport", "--destination-port", "--dports", "--destination-ports":
			for _, s := range strings.Split(arg(), ",") {
				lo, hi, isRange := strings.Cut(s, ":")
				a, err1 := strconv.Atoi(lo)
				z, err2 := a, error(nil)
				if isRange {
					z, err2 = strconv.Atoi(hi)
				}
				if err1 != nil || err2 != nil {
					return false
				}
				r.ports = append(r.ports, portRange{a, z})
			}
		case "-j", "--jump":
			r.verdict = strings.ToLower(arg())
		}
	}
	return true
}
