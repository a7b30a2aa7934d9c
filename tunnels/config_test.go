package tunnels

import (
	"errors"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func files(t *testing.T) (ca, cert, key string) {
	dir := t.TempDir()
	for _, n := range []string{"ca.crt", "cert.crt", "cert.key"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key")
}

// Bad input gets an error naming the problem and the fix.
func TestNewBadInput(t *testing.T) {
	ca, cert, key := files(t)
	ok := Config{RunDir: t.TempDir(), CA: ca, Cert: cert, Key: key, OpenVPN: os.Args[0]}
	tests := []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"no-binary", func(c *Config) { c.OpenVPN = filepath.Join(t.TempDir(), "openvpn") }, []string{"openvpn not found", "apt-get install openvpn"}},
		{"missing-cert", func(c *Config) { c.Cert = filepath.Join(t.TempDir(), "gone.crt") }, []string{"certificate", "gone.crt", "re6st-conf"}},
		{"no-key", func(c *Config) { c.Key = "" }, []string{"no private key file", "re6st-conf"}},
		{"missing-dh", func(c *Config) { c.DH = "/nonexistent/dh.pem" }, []string{"DH parameters", "/nonexistent/dh.pem"}},
		{"no-run-dir", func(c *Config) { c.RunDir = "" }, []string{"RunDir"}},
		{"short-hello", func(c *Config) { c.Hello = time.Millisecond }, []string{"hello interval"}},
		{"ipv6-as-ipv4", func(c *Config) { c.IPv4 = netip.MustParsePrefix("2001:db8::/64") }, []string{"not an IPv4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			_, err := New(cfg)
			if err == nil {
				t.Fatal("New accepted bad input")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := New(ok); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	cfg := ok
	cfg.OpenVPN = "/nonexistent/openvpn"
	if _, err := New(cfg); !errors.Is(err, ErrNoOpenVPN) {
		t.Errorf("missing binary: %v, want ErrNoOpenVPN", err)
	}
}

func TestServeBadInput(t *testing.T) {
	ca, cert, key := files(t)
	m, err := New(Config{RunDir: t.TempDir(), CA: ca, Cert: cert, Key: key, OpenVPN: os.Args[0], Taps: &fakeTaps{}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if err := m.Serve(t.Context(), TCP, 1194); err == nil || !strings.Contains(err.Error(), "DH") {
		t.Errorf("serve without DH: %v", err)
	}
	if _, err := m.Open("1/16", nil); err == nil {
		t.Error("Open with no address accepted")
	}
	bad := []Address{{AddrPort: netip.MustParseAddrPort("198.18.0.1:1194"), Proto: TCP6}}
	if _, err := m.Open("1/16", bad); err == nil || !strings.Contains(err.Error(), "IPv6") {
		t.Errorf("IPv4 address for tcp6: %v", err)
	}
	if err := m.Close("re6stnet9"); err == nil {
		t.Error("Close of an unknown tunnel accepted")
	}
}

// The command lines are re6st's (re6st-protocol §5), with 2.6 spellings.
func TestArgs(t *testing.T) {
	c := Config{CA: "ca.crt", Cert: "c.crt", Key: "c.key", DH: "dh.pem", Hello: 15 * time.Second,
		MaxClients: 10, IPv4: netip.MustParsePrefix("10.42.3.1/24"), ExtraArgs: []string{"--verb", "3"}}
	srv := strings.Join(c.serverArgs(UDP6, 1194), " ")
	for _, w := range []string{
		"--tls-server --mode server --dh dh.pem --max-clients 10 --port 1194 --proto udp6",
		"--bind ipv6only", "--link-mtu 1543 --mtu-disc yes", "--ping-exit 60",
		"--dev-type tap --dev re6stnet-udp6 --persist-tun --persist-key",
		"--ca ca.crt --cert c.crt --key c.key", "--ifconfig 10.42.3.1 255.255.255.0",
		"--cipher none --data-ciphers none",
	} {
		if !strings.Contains(srv, w) {
			t.Errorf("server args lack %q:\n%s", w, srv)
		}
	}
	to := Address{AddrPort: netip.MustParseAddrPort("198.18.0.11:1194"), Proto: UDP}
	cli := strings.Join(c.clientArgs("re6stnet1", "1/16", to), " ")
	for _, w := range []string{
		"--nobind --client --remote 198.18.0.11 1194 udp4 --link-mtu 1432 --mtu-disc yes",
		"--verify-x509-name 1/16 name --resolv-retry 0 --connect-retry-max 3 --tls-exit --remap-usr1 SIGTERM --ping-exit 60",
		"--dev re6stnet1",
	} {
		if !strings.Contains(cli, w) {
			t.Errorf("client args lack %q:\n%s", w, cli)
		}
	}
	c.Encrypt = true
	tcp := c.clientArgs("re6stnet1", "1/16", Address{AddrPort: to.AddrPort, Proto: TCP})
	if slices.Contains(tcp, "none") || slices.Contains(tcp, "--link-mtu") || !slices.Contains(tcp, "tcp4-client") {
		t.Errorf("encrypted TCP client args: %v", tcp)
	}
	if slices.Contains(c.serverArgs(TCP, 1194), "--bind") {
		t.Error("IPv4 server bound ipv6only")
	}
}

func TestLogFacts(t *testing.T) {
	var f logFacts
	f.scan("I", "Data Channel MTU parms [ mss_fix:0 max_frag:0 tun_mtu:1407 tun_max_mtu:1600 headroom:136 ]")
	if f.mtu != 1407 {
		t.Errorf("mtu %d after MTU parms", f.mtu)
	}
	f.scan("I", "PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 2001:db8:ff00::12,peer-id 0,tun-mtu 1500'")
	f.scan("I", "OPTIONS IMPORT: tun-mtu set to 1500")
	if f.mtu != 1500 || f.externalIP != netip.MustParseAddr("2001:db8:ff00::12") {
		t.Errorf("after push: mtu %d external %v", f.mtu, f.externalIP)
	}
	f.scan("I", "PUSH: Received control message: 'PUSH_REPLY,peer-id 0,cipher AES-256-GCM'")
	if f.cipher != "AES-256-GCM" {
		t.Errorf("cipher %q", f.cipher)
	}
	f.scan("I", "TLS Error: TLS handshake failed")
	if f.reason != "TLS Error: TLS handshake failed" {
		t.Errorf("reason %q", f.reason)
	}
	var g logFacts
	g.scan("I", "OPTIONS IMPORT: tun-mtu set to 1000")
	g.scan("I", "PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip bogus'")
	g.scan("I", "Data Channel MTU parms [ tun_mtu:x ]")
	if g.externalIP.IsValid() || g.mtu != 0 {
		t.Errorf("garbage taken: %+v", g)
	}
}

func TestParseProto(t *testing.T) {
	for in, want := range map[string]Proto{"udp": UDP, "udp4": UDP, "tcp": TCP, "tcp4": TCP, "udp6": UDP6, "tcp6": TCP6} {
		if p, err := ParseProto(in); err != nil || p != want {
			t.Errorf("ParseProto(%q) = %v, %v", in, p, err)
		}
	}
	if _, err := ParseProto("sctp"); err == nil {
		t.Error("sctp accepted")
	}
	if TCP6.Iface() != "re6stnet-tcp6" {
		t.Error(TCP6.Iface())
	}
}

func TestSetRevoked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "crl")
	if err := SetRevoked(dir, []*big.Int{big.NewInt(3), big.NewInt(12)}); err != nil {
		t.Fatal(err)
	}
	if err := SetRevoked(dir, []*big.Int{big.NewInt(12), new(big.Int).Lsh(big.NewInt(1), 70)}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"1180591620717411303424", "12"}; !slices.Equal(names, want) {
		t.Fatalf("revocation files %v, want %v", names, want)
	}
	if err := SetRevoked(dir, []*big.Int{big.NewInt(-1)}); err == nil {
		t.Fatal("negative serial accepted")
	}
}
