package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/netlab"
	"re6st-tui/node/regclient"
	"re6st-tui/node/registry"
)

// build compiles a command of this module into dir.
func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// clientIn returns a registry client whose connections are opened inside
// host h (a socket stays in the namespace it was created in).
func clientIn(t *testing.T, h *netlab.Host, url string) *regclient.Client {
	t.Helper()
	c, err := regclient.New(url)
	if err != nil {
		t.Fatal(err)
	}
	c.HTTP = h.HTTPClient(20 * time.Second)
	return c
}

var subnetLine = regexp.MustCompile(`Your subnet: (\S+) \(CN=(\S+)\)`)

type member struct {
	host *netlab.Host
	dir  string
	cn   string
	id   *identity.Identity
	c    *regclient.Client
}

func TestLabEnrollment(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 4})
	bin := t.TempDir()
	regBin := build(t, bin, "re6st-tui/cmd/re6st-registry")
	confBin := build(t, bin, "re6st-tui/cmd/re6st-conf")

	ca := idtest.Shared()
	work := t.TempDir()
	keyPEM, err := identity.EncodeKeyPEM(ca.Priv)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mbox := filepath.Join(work, "mbox")
	conf := write("re6st-registry.conf", []byte(strings.Join([]string{
		"# registry of the lab network",
		"port 80",
		"db " + filepath.Join(work, "registry.db"),
		"ca " + write("ca.crt", ca.PEM),
		"key " + write("ca.key", keyPEM),
		"dh " + write("dh.pem", []byte("-----BEGIN DH PARAMETERS-----\n-----END DH PARAMETERS-----\n")),
		"mailhost " + mbox,
		"anonymous-prefix-length 20",
		"prefix-length 16",
		"logfile " + filepath.Join(work, "registry.log"),
		"verbose 2",
	}, "\n")+"\n"))

	h1 := lab.Host("h1")
	url := "http://" + h1.IPv4.String() + "/"
	local := fakeLocalNode(t, h1)
	startRegistry := func() *netlab.Process {
		p, err := h1.Start(regBin, "@"+conf)
		if err != nil {
			t.Fatal(err)
		}
		probe := clientIn(t, h1, url)
		netlab.WaitFor(t, 20*time.Second, "registry answering getCa", func() error {
			select {
			case <-p.Done():
				return fmt.Errorf("registry exited: %v\n%s", p.Err(), p.Output())
			default:
			}
			_, err := probe.GetCa(context.Background())
			return err
		})
		return p
	}
	reg := startRegistry()

	enroll := func(h *netlab.Host, args ...string) *member {
		dir := t.TempDir()
		out := h.Run(t, confBin, append([]string{"--registry", url, "-d", dir}, args...)...)
		return finish(t, h, dir, out, url)
	}
	// --is-needed: a host outside the network needs enrolling (status 0).
	lab.Host("h2").Run(t, confBin, "--registry", url, "--is-needed")
	m2 := enroll(lab.Host("h2"), "--anonymous")
	m3 := enroll(lab.Host("h3"), "--anonymous", "-r", "title", "lab")

	// h4 asks for a token by mail, then types it in when it arrives.
	h4 := lab.Host("h4")
	dir4 := t.TempDir()
	cmd := h4.Command(context.Background(), confBin, "--registry", url, "-d", dir4, "--email", "h4@example.com")
	stdin, _ := cmd.StdinPipe()
	var out4 strings.Builder
	cmd.Stdout, cmd.Stderr = &out4, &out4
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var token string
	netlab.WaitFor(t, 20*time.Second, "token mail in the mbox", func() error {
		f, err := os.Open(mbox)
		if err != nil {
			return err
		}
		defer f.Close()
		toks, err := registry.TokensFromMbox(bufio.NewReader(f))
		if err != nil || len(toks) == 0 {
			return fmt.Errorf("no token yet (%v)", err)
		}
		if toks[0].To != "h4@example.com" {
			return fmt.Errorf("token mailed to %q", toks[0].To)
		}
		token = toks[0].Token
		return nil
	})
	fmt.Fprintln(stdin, token)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("re6st-conf with token: %v\n%s", err, out4.String())
	}
	m4 := finish(t, h4, dir4, out4.String(), url)

	// Once its route to the network uses its own re6st address, it does
	// not need enrolling any more (status 1).
	h3 := lab.Host("h3")
	h3.Run(t, "ip", "-6", "addr", "add", m3.id.Addr.String()+"/128", "dev", "lo", "nodad")
	h3.Run(t, "ip", "-6", "route", "add", m3.id.CA.Prefix.String(), "dev", "eth0", "src", m3.id.Addr.String())
	isNeeded := h3.Command(context.Background(), confBin, "--registry", url, "--is-needed")
	if out, err := isNeeded.CombinedOutput(); err == nil || isNeeded.ProcessState.ExitCode() != 1 || strings.Contains(string(out), "re6st-conf:") {
		t.Errorf("--is-needed on a member: %v\n%s", err, out)
	}

	members := []*member{m2, m3, m4}
	seen := map[string]bool{}
	for _, m := range members {
		if seen[m.id.Prefix] {
			t.Fatalf("prefix %s handed out twice", m.cn)
		}
		seen[m.id.Prefix] = true
	}
	if len(m4.id.Prefix) != 16 || len(m2.id.Prefix) != 20 {
		t.Errorf("prefix lengths: token %d, anonymous %d", len(m4.id.Prefix), len(m2.id.Prefix))
	}
	ctx := context.Background()
	version := func(m *member) (uint64, []uint64) {
		t.Helper()
		nc, err := m.c.GetNetworkConfig(ctx)
		if err != nil {
			t.Fatalf("%s getNetworkConfig: %v", m.host.Name, err)
		}
		if nc.RegistryPrefix != m2.id.Prefix {
			t.Errorf("registry prefix %s, want the first node's %s", nc.RegistryPrefix, m2.id.Prefix)
		}
		return nc.VersionNumber, nc.CRL
	}
	v0, _ := version(m2)
	for _, m := range members {
		if v, _ := version(m); v != v0 {
			t.Fatalf("%s sees version %d, %s sees %d", m.host.Name, v, m2.host.Name, v0)
		}
	}

	// Revoke m3's serial from an authorized origin (loopback on h1); a
	// foreign origin is refused.
	if err := clientIn(t, lab.Host("h2"), url).Revoke(ctx, m3.id.Cert.SerialNumber.String()); err == nil {
		t.Fatal("revoke from a foreign origin accepted")
	}
	admin := clientIn(t, h1, "http://127.0.0.1/")
	if err := admin.Revoke(ctx, m3.id.Cert.SerialNumber.String()); err != nil {
		t.Fatal(err)
	}
	v1, crl := version(m2)
	if v1 != v0+1 || len(crl) != 1 || crl[0] != m3.id.Cert.SerialNumber.Uint64() {
		t.Fatalf("after revoke: version %d (was %d), crl %v", v1, v0, crl)
	}
	// Renewal: the revoked node gets a new serial with the same notAfter;
	// a fresh one gets its certificate back unchanged.
	pem3, err := m3.c.RenewCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c3, _ := identity.ParseCertPEM(pem3)
	if c3.SerialNumber.Cmp(m3.id.Cert.SerialNumber) == 0 || !c3.NotAfter.Equal(m3.id.Cert.NotAfter) || c3.Subject.CommonName != m3.cn {
		t.Errorf("revoked renewal: serial %v notAfter %v CN %s", c3.SerialNumber, c3.NotAfter, c3.Subject.CommonName)
	}
	pem2, err := m2.c.RenewCertificate(ctx)
	if err != nil || string(pem2) != string(identity.EncodeCertPEM(m2.id.Cert)) {
		t.Errorf("fresh renewal changed the certificate (%v)", err)
	}

	// The registry told its local node about each new version (code 0),
	// and answers a bootstrap request with the address list the local
	// node gives for the registry node.
	netlab.WaitFor(t, 10*time.Second, "version notifications on ::1", func() error {
		if n := local.count(0); n < 2 {
			return fmt.Errorf("%d notifications", n)
		}
		return nil
	})
	peer, addrs, ok, err := m4.c.GetBootstrapPeer(ctx)
	if err != nil || !ok || peer != m2.id.Prefix || addrs != "198.18.0.11,1194,tcp" {
		t.Errorf("bootstrap peer: %q %q %v %v", peer, addrs, ok, err)
	}

	// A restart keeps the version; clients re-hello transparently.
	if err := reg.Stop(); err != nil {
		t.Logf("registry stop: %v", err)
	}
	startRegistry()
	if v, _ := version(m4); v != v1 {
		t.Fatalf("version %d after restart, want %d", v, v1)
	}
}

// finish checks re6st-conf's result in dir and opens a session client.
func finish(t *testing.T, h *netlab.Host, dir, out, url string) *member {
	t.Helper()
	m := subnetLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: no subnet line in re6st-conf output:\n%s", h.Name, out)
	}
	id, err := identity.Load(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if id.Subnet.String() != m[1] || identity.CN(id.Prefix) != m[2] {
		t.Fatalf("%s: files say %s, output %s", h.Name, id.Subnet, m[0])
	}
	st, err := os.Stat(filepath.Join(dir, "cert.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: cert.key mode %v", h.Name, st.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, "re6stnet.conf")); err != nil {
		t.Errorf("%s: %v", h.Name, err)
	}
	c := clientIn(t, h, url)
	c.SetIdentity(id.CA, id.Key, id.Prefix)
	return &member{host: h, dir: dir, cn: m[2], id: id, c: c}
}

// localNode plays the registry's local node on [::1]:326 inside a host:
// it counts the codes it receives and answers address requests (code 1).
type localNode struct {
	mu    sync.Mutex
	codes map[byte]int
}

func (l *localNode) count(code byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.codes[code]
}

func fakeLocalNode(t *testing.T, h *netlab.Host) *localNode {
	var conn *net.UDPConn
	if err := h.Do(func() error {
		var err error
		conn, err = net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback, Port: 326})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	l := &localNode{codes: map[byte]int{}}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return
			}
			prefix, code, _, err := registry.ParseReply(buf[:n])
			if err != nil {
				continue
			}
			l.mu.Lock()
			l.codes[code]++
			l.mu.Unlock()
			if code == registry.CodeAddress {
				conn.WriteToUDP([]byte(prefix+"\x00\x01198.18.0.11,1194,tcp"), from)
			}
		}
	}()
	return l
}
