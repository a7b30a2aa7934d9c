package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"re6st-tui/diag/system/systemtest"
)

func readTestdata(t testing.TB, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFirewall(t *testing.T) {
	node := Node{TunnelPorts: []Port{{"tcp", 1194}}}
	for _, tt := range []struct {
		name   string
		out    map[string]string
		status Status
		drops  []string // substrings the summary names
	}{
		{"nft-drops", map[string]string{"nft -j list ruleset": readTestdata(t, "nft-drops.json")}, Fail, []string{"udp 6696", "udp 326", "tcp 1194"}},
		{"nft-policy-drop", map[string]string{"nft -j list ruleset": readTestdata(t, "nft-policy-drop.json")}, Warn, []string{"tcp 1194"}},
		{"nft-accepts", map[string]string{"nft -j list ruleset": readTestdata(t, "nft-accepts.json")}, OK, nil},
		{"iptables-legacy", map[string]string{"ip6tables-save": readTestdata(t, "ip6tables-legacy.txt")}, Fail, []string{"udp 6696", "udp 326"}},
		{"iptables-nft-is-read-through-nft", map[string]string{
			"ip6tables-save":      strings.ReplaceAll(readTestdata(t, "ip6tables-legacy.txt"), "legacy", "nf_tables"),
			"nft -j list ruleset": readTestdata(t, "nft-accepts.json"),
		}, OK, nil},
		{"nothing-installed", map[string]string{}, Skip, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCheck(t, &Doctor{Sys: systemtest.New(), Exec: fakeRunner{tt.out}, Node: node}, "firewall")
			if r.Status != tt.status {
				t.Fatalf("got %s: %s", r.Status, r.Summary)
			}
			for _, s := range tt.drops {
				if !strings.Contains(r.Summary, s) {
					t.Errorf("summary %q does not name %s", r.Summary, s)
				}
			}
		})
	}
}

// The negated match (udp dport != 6696 drop) must not count as dropping 6696.
func TestNftNegationIgnored(t *testing.T) {
	rules, _, err := parseNft([]byte(readTestdata(t, "nft-drops.json")))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.verdict == "drop" && len(r.ports) == 0 && len(r.protos) > 0 {
			t.Errorf("negated rule kept as %+v", r)
		}
	}
}

func FuzzParseNft(f *testing.F) {
	for _, n := range []string{"nft-drops.json", "nft-policy-drop.json", "nft-accepts.json"} {
		f.Add([]byte(readTestdata(f, n)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, _, err := parseNft(b)
		if err != nil && len(rules) > 0 {
			t.Fatal("rules with an error")
		}
	})
}

func FuzzParseIptablesSave(f *testing.F) {
	f.Add([]byte(readTestdata(f, "ip6tables-legacy.txt")))
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, _ := parseIptablesSave(b, "ip6")
		for _, r := range rules {
			if r.family != "ip6" {
				t.Fatal("family lost")
			}
		}
	})
}

func FuzzSplitNmcli(f *testing.F) {
	f.Add(`re6stnet1:tun:unmanaged`)
	f.Add(`eth0\:1:ethernet:connected`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(splitNmcli(s)) < 1 {
			t.Fatal("no field")
		}
	})
}
