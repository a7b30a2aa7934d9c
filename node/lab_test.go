package node_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node"
	"re6st-tui/node/control"
	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/netlab"
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

// network is a registry and re6st nodes in a lab.
type network struct {
	t        *testing.T
	lab      *netlab.Lab
	bins     map[string]string
	work     string
	url      string
	registry *netlab.Process
	nodes    map[string]*labNode
}

type labNode struct {
	host *netlab.Host
	dir  string
	id   *identity.Identity
	proc *netlab.Process
}

func newNetwork(t *testing.T, hosts int) *network {
	lab := netlab.New(t, netlab.Config{Hosts: hosts})
	bin := t.TempDir()
	nw := &network{t: t, lab: lab, work: t.TempDir(), bins: map[string]string{}, nodes: map[string]*labNode{}}
	for _, cmd := range []string{"re6st-registry", "re6st-conf", "re6stnet"} {
		nw.bins[cmd] = build(t, bin, "re6st-tui/cmd/"+cmd)
	}
	ca := idtest.Shared()
	keyPEM, err := identity.EncodeKeyPEM(ca.Priv)
	if err != nil {
		t.Fatal(err)
	}
	dh := filepath.Join(nw.work, "dh.pem")
	if out, err := exec.Command("openssl", "dhparam", "-dsaparam", "-out", dh, "2048").CombinedOutput(); err != nil {
		t.Fatalf("openssl dhparam: %v\n%s", err, out)
	}
	conf := nw.write("re6st-registry.conf", strings.Join([]string{
		"port 80",
		"db " + filepath.Join(nw.work, "registry.db"),
		"ca " + nw.write("ca.crt", string(ca.PEM)),
		"key " + nw.write("ca.key", string(keyPEM)),
		"dh " + dh,
		"mailhost " + filepath.Join(nw.work, "mbox"),
		"anonymous-prefix-length 16",
		"hello 4",
		fmt.Sprintf("client-count %d", (hosts+1)/2),
		"logfile " + filepath.Join(nw.work, "registry.log"),
		"run " + filepath.Join(nw.work, "registry-run"),
	}, "\n")+"\n")
	h1 := lab.Host("h1")
	nw.url = "http://" + h1.IPv4.String() + "/"
	nw.registry, err = h1.Start(nw.bins["re6st-registry"], "@"+conf)
	if err != nil {
		t.Fatal(err)
	}
	return nw
}

func (nw *network) write(name, content string) string {
	p := filepath.Join(nw.work, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		nw.t.Fatal(err)
	}
	return p
}

// enroll gets a certificate for host h with re6st-conf.
func (nw *network) enroll(h *netlab.Host) *labNode {
	t := nw.t
	dir := filepath.Join(nw.work, h.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var out string
	netlab.WaitFor(t, 30*time.Second, h.Name+" enrollment", func() error {
		b, err := h.Command(context.Background(), nw.bins["re6st-conf"], "--registry", nw.url, "-d", dir, "--anonymous").CombinedOutput()
		out = string(b)
		if err != nil {
			return fmt.Errorf("%v: %s", err, b)
		}
		return nil
	})
	id, err := identity.Load(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key"), time.Now())
	if err != nil {
		t.Fatalf("%s: %v\n%s", h.Name, err, out)
	}
	n := &labNode{host: h, dir: dir, id: id}
	nw.nodes[h.Name] = n
	return n
}

// start runs re6stnet on a node.
func (nw *network) start(n *labNode) {
	args := []string{
		"--registry", nw.url, "--ca", filepath.Join(n.dir, "ca.crt"), "--cert", filepath.Join(n.dir, "cert.crt"),
		"--key", filepath.Join(n.dir, "cert.key"), "-l", filepath.Join(n.dir, "log"), "-r", filepath.Join(n.dir, "run"),
		"-s", filepath.Join(n.dir, "state"), "-v", "3", "--ip", n.host.IPv4.String(),
	}
	p, err := n.host.Start(nw.bins["re6stnet"], args...)
	if err != nil {
		nw.t.Fatal(err)
	}
	n.proc = p
}

func (nw *network) logs() string {
	var b strings.Builder
	for name, n := range nw.nodes {
		log, _ := os.ReadFile(filepath.Join(n.dir, "log", "re6stnet.log"))
		lines := strings.Split(string(log), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(&b, "==== %s (%s)\n%s\n%s\n", name, n.id.Addr, n.proc.Output(), strings.Join(lines, "\n"))
		if c, err := control.Dial(filepath.Join(n.dir, "run", "control.sock")); err == nil {
			st := c.Snapshot()
			c.Close()
			fmt.Fprintf(&b, "status %+v\n", st.Status)
			for _, nb := range st.Neighbours {
				fmt.Fprintf(&b, "neighbour %+v\n", nb)
			}
			for _, r := range st.Routes {
				fmt.Fprintf(&b, "route %+v\n", r)
			}
		}
		fmt.Fprintf(&b, "%s", n.host.Run(nw.t, "ip", "-6", "route"))
	}
	return b.String()
}

func TestLabNetworkForms(t *testing.T) {
	const hosts = 3
	nw := newNetwork(t, hosts)
	start := time.Now()
	for i := 1; i <= hosts; i++ {
		n := nw.enroll(nw.lab.Host(fmt.Sprintf("h%d", i)))
		nw.start(n)
	}
	ctx := context.Background()
	for _, from := range nw.nodes {
		for _, to := range nw.nodes {
			if from == to {
				continue
			}
			err := netlab.Poll(ctx, 90*time.Second, fmt.Sprintf("%s → %s over the overlay", from.host.Name, to.host.Name), func() error {
				_, err := from.host.Ping(ctx, to.id.Addr.String(), 1)
				return err
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, nw.logs())
			}
		}
	}
	t.Logf("all-pairs reachability of %d nodes after %v", hosts, time.Since(start).Round(time.Millisecond))
	// SIGTERM: each node removes what it made.
	for _, n := range nw.nodes {
		if err := n.proc.Stop(); err != nil {
			t.Errorf("%s: %v", n.host.Name, err)
		}
		routes := n.host.Run(t, "ip", "-6", "route")
		if strings.Contains(routes, "proto babel") || strings.Contains(routes, "unreachable") {
			t.Errorf("%s: routes left after stop:\n%s", n.host.Name, routes)
		}
		if links := n.host.Run(t, "ip", "link"); strings.Contains(links, "re6stnet") {
			t.Errorf("%s: taps left after stop:\n%s", n.host.Name, links)
		}
	}
}

// The node serves what the dashboard and the control socket need.
var _ control.Engine = (*node.Node)(nil)
