package config

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeFiles serves option files from memory.
func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		s, ok := files[path]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		}
		return []byte(s), nil
	}
}

func parseWith(files map[string]string, args ...string) (*Node, error) {
	p := NewParser(nodeOptions)
	p.ReadFile = fakeFiles(files)
	return parseNode(p, args)
}

const sampleConf = `registry http://re6st.example.com/
ca ca.crt
cert cert.crt
key cert.key
   # an indented comment
#verbose 3

country FR
pp 1194 tcp
pp 1195 tcp6
disable-proto none
gateway
O--verb
O3
neighbour 1/16
@extra.conf
`

func TestParseSampleConfig(t *testing.T) {
	n, err := parseWith(map[string]string{
		"re6stnet.conf": sampleConf,
		"extra.conf":    "ip 198.18.0.1\ndaemon 'echo \"hello world\"'\n",
	}, "@re6stnet.conf", "-v3", "--main-int=eth0")
	if err != nil {
		t.Fatal(err)
	}
	want := &Node{
		Registry: "http://re6st.example.com/", CA: "ca.crt", Cert: "cert.crt", Key: "cert.key",
		LogDir: "/var/log/re6stnet", RunDir: "/var/run/re6stnet", StateDir: "/var/lib/re6stnet",
		Verbose: 3, MainInterface: "eth0", Country: "FR", Gateway: true,
		IP:          []string{"198.18.0.1"},
		Daemons:     []string{`echo "hello world"`},
		OpenVPNArgs: []string{"--verb", "3"},
		PP:          []PortProto{{1194, "tcp"}, {1195, "tcp6"}},
		Neighbours:  []string{"1/16"},
	}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestDefaultProtocols(t *testing.T) {
	n, err := parseWith(nil, "--registry", "http://r/", "--ca", "a", "--cert", "b", "--key", "c")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.DisabledProtocols, []string{"udp", "udp6"}) {
		t.Errorf("disabled = %v", n.DisabledProtocols)
	}
	if !slices.Equal(n.PP, []PortProto{{1194, "tcp"}}) {
		t.Errorf("pp = %v, want only 1194 tcp by default", n.PP)
	}
	n, _ = parseWith(nil, "--registry", "http://r/", "--ca", "a", "--cert", "b", "--key", "c", "--default")
	if !slices.Contains(n.DisabledProtocols, "tcp6") {
		t.Errorf("--default must disable tunnels over IPv6: %v", n.DisabledProtocols)
	}
}

func TestErrorsNameFileAndLine(t *testing.T) {
	base := "registry http://r/\nca a\ncert b\nkey c\n"
	for _, tc := range []struct {
		name, conf, want string
	}{
		{"bad-port", base + "pp 99999 tcp\n", "re6stnet.conf:5: --pp 99999 tcp: the port must be"},
		{"bad-proto", base + "\npp 1194 sctp\n", "re6stnet.conf:6: --pp 1194 sctp: the protocol must be"},
		{"disabled-proto", base + "pp 1194 udp\n", "re6stnet.conf:5: --pp 1194 udp conflicts with --disable-proto udp"},
		{"unknown", base + "frobnicate yes\n", `re6stnet.conf:5: unknown option "frobnicate"`},
		{"bad-choice", base + "disable-proto sctp\n", `re6stnet.conf:5: --disable-proto: "sctp" is not one of`},
		{"missing-value", base + "dh\n", "re6stnet.conf:5: --dh needs 1 value(s)"},
		{"quote", base + "up 'echo\n", "re6stnet.conf:5: no closing single quote"},
		{"verbose", base + "verbose loud\n", `re6stnet.conf:5: --verbose "loud": give a whole number`},
		{"ip-any", base + "ip any\nip 198.18.0.1\n", "re6stnet.conf:5: --ip any cannot be combined"},
		{"ip-upnp-name", base + "ip node.example\nip upnp\n", "re6stnet.conf:6: --ip upnp cannot be combined with IPv4"},
		{"ip-any-upnp", base + "ip any\nip upnp\n", "re6stnet.conf:6: --ip upnp cannot be combined with --ip any"},
		{"conflict", base + "default\ngateway\n", "re6stnet.conf:6: --default and --gateway conflict"},
		{"required", "ca a\ncert b\nkey c\n", "command line: --registry is required"},
		{"loop", base + "@re6stnet.conf\n", "nested more than 16 deep"},
		{"missing-file", base + "@nowhere.conf\n", "re6stnet.conf:5: read option file: open nowhere.conf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(map[string]string{"re6stnet.conf": tc.conf}, "@re6stnet.conf")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestAbbreviations(t *testing.T) {
	p := NewParser(nodeOptions)
	set, err := p.Parse([]string{"--reg", "http://r/", "--client-c=3"})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := set.Last("registry"); o.Values[0] != "http://r/" {
		t.Errorf("--reg = %v", o)
	}
	if o, _ := set.Last("client-count"); o.Values[0] != "3" {
		t.Errorf("--client-c = %v", o)
	}
	var perr *Error
	if _, err := p.Parse([]string{"--c", "x"}); !errors.As(err, &perr) || !strings.Contains(err.Error(), "ambiguous") {
		t.Errorf("--c: %v, want ambiguous", err)
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`a b  c`:              {"a", "b", "c"},
		`'a b' "c d"`:         {"a b", "c d"},
		`a\ b`:                {"a b"},
		`"a \"q\" \n"`:        {`a "q" \n`},
		`x'y'"z"`:             {"xyz"},
		`''`:                  {""},
		"tab\tsep":            {"tab", "sep"},
		`trailing # not-cmt`:  {"trailing", "#", "not-cmt"},
		`"$HOME" '$HOME' \$H`: {"$HOME", "$HOME", "$H"},
	} {
		got, err := splitWords(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseNodeConfig(f *testing.F) {
	f.Add(sampleConf)
	f.Add("registry http://r/\nca a\ncert b\nkey c\npp 1194 tcp\n")
	f.Add("O--verb\nO3\n@self\n")
	f.Add("'unterminated\n\"x\\\n")
	f.Add("ip any\nip upnp\n-v\n--\n")
	f.Fuzz(func(t *testing.T, conf string) {
		n, err := parseWith(map[string]string{"self": conf, "re6stnet.conf": conf}, "@re6stnet.conf")
		if err == nil && !n.ShowVersion && (n.Registry == "" || n.CA == "") {
			t.Fatalf("parsed without required options: %+v", n)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
	})
}

// --ip upnp or any says how to find the IPv4 address: IPv6 addresses
// may still be given.
func TestIPSpecialWithIPv6(t *testing.T) {
	for _, special := range []string{"upnp", "any"} {
		n, err := parseWith(map[string]string{"re6stnet.conf": "registry http://r/\nca a\ncert b\nkey c\nip " + special + "\nip 2001:db8::7\n"}, "@re6stnet.conf")
		if err != nil {
			t.Fatalf("--ip %s with an IPv6 address: %v", special, err)
		}
		if len(n.IP) != 2 || n.IP[0] != special {
			t.Errorf("--ip %s: IP = %v", special, n.IP)
		}
	}
}
