package babel_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
	"re6st-tui/routing/kernel"
)

// ourSpeaker runs our speaker inside host h on its uplink.
type ourSpeaker struct {
	sp   *babel.Speaker
	kern *kernel.Netlink
	link kernel.Link
	stop func()
}

func startOurs(t testing.TB, h *netlab.Host, cfg babel.Config, kind babel.Kind, names ...string) *ourSpeaker {
	t.Helper()
	if len(names) == 0 {
		names = []string{h.Iface}
	}
	var udp *babel.UDP
	var links []kernel.Link
	o := &ourSpeaker{}
	ctx, cancel := context.WithCancel(context.Background())
	err := h.Do(func() error {
		for _, name := range names {
			l, err := kernel.LookupLink(ctx, name, 10*time.Second)
			if err != nil {
				return err
			}
			links = append(links, l)
		}
		var err error
		if o.kern, err = kernel.Open(); err != nil {
			return err
		}
		udp, err = babel.ListenUDP(0)
		return err
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	o.link = links[0]
	if err := o.kern.Flush(); err != nil {
		t.Fatal(err)
	}
	cfg.Install.NoSubtrees = !o.kern.Subtrees()
	var log *slog.Logger
	if os.Getenv("BABEL_DEBUG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("node", h.Name)
	}
	sp, err := babel.New(cfg, udp, o.kern, log)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sp.Run(ctx, udp.Recv()) }()
	var once sync.Once
	o.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			udp.Close()
			o.kern.Close()
		})
	}
	t.Cleanup(o.stop)
	for _, l := range links {
		err = sp.AddInterface(babel.Interface{Name: l.Name, Index: l.Index, MTU: l.MTU, LinkLocal: l.LinkLocal, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
	}
	o.sp = sp
	err = h.Do(func() error {
		return kernel.WatchLinks(ctx, func(index int, name string, up bool) {
			if slices.Contains(names, name) {
				_ = sp.SetInterfaceUp(name, up)
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// babeld runs Debian's babeld in h and talks to its local interface.
type babeld struct {
	proc *netlab.Process
	sock string
	log  string
}

// startBabeld runs babeld with the given Hello interval in seconds.
func startBabeld(t testing.TB, h *netlab.Host, conf string, hello string) *babeld {
	t.Helper()
	dir := t.TempDir()
	b := &babeld{sock: filepath.Join(dir, "b.sock"), log: filepath.Join(dir, "b.log")}
	cf := filepath.Join(dir, "b.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	b.proc, err = h.Start("babeld", "-c", cf, "-I", "", "-S", filepath.Join(dir, "b.state"),
		"-L", b.log, "-g", b.sock, "-d", "2", "-h", hello, "-H", hello)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		b.proc.Stop()
		if t.Failed() {
			out, _ := os.ReadFile(b.log)
			t.Logf("babeld log (tail):\n%s", tail(string(out), 4000))
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "hallenge") || strings.Contains(l, "PC") || strings.Contains(l, "ignature") {
					t.Log(l)
				}
			}
		}
	})
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// dump returns babeld's `dump` lines.
func (b *babeld) dump() ([]string, error) {
	c, err := net.DialTimeout("unix", b.sock, time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	r := bufio.NewScanner(c)
	for r.Scan() && r.Text() != "ok" {
	}
	if _, err := c.Write([]byte("dump\n")); err != nil {
		return nil, err
	}
	var lines []string
	for r.Scan() && r.Text() != "ok" {
		lines = append(lines, r.Text())
	}
	return lines, r.Err()
}

// has reports an error unless a dump line contains every field.
func (b *babeld) has(fields ...string) error {
	lines, err := b.dump()
	if err != nil {
		return err
	}
	for _, l := range lines {
		ok := true
		for _, f := range fields {
			ok = ok && strings.Contains(l, f)
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("babeld has no line with %q; dump:\n%s", fields, strings.Join(lines, "\n"))
}

func babeldConf(key string) string {
	c := `router-id 02:00:00:00:00:00:00:0a
redistribute local deny
redistribute ip 2001:db8:a::/48 eq 48
redistribute ip ::/0 eq 0 src-prefix 2001:db8::/32
redistribute deny
interface eth0 type tunnel
`
	if key != "" {
		c += "key id k1 type blake2s128 value " + key + "\ndefault key k1\n"
	}
	return c
}

func routeLine(t *testing.T, h *netlab.Host, want ...string) func() error {
	return func() error {
		out, err := h.Command(context.Background(), "ip", "-6", "route", "show", "table", "main").CombinedOutput()
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(out), "\n") {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			if ok {
				return nil
			}
		}
		return fmt.Errorf("no route with %q in:\n%s", want, out)
	}
}

func TestLabBabeldInterop(t *testing.T) {
	for _, tc := range []struct {
		name    string
		key     string
		unicast bool // babeld sends all but its Hellos by unicast
	}{{"plain", "", false}, {"blake2s", "000102030405060708090a0b0c0d0e0f", false}, {"unicast", "", true}} {
		t.Run(tc.name, func(t *testing.T) {
			lab := netlab.New(t, netlab.Config{Hosts: 2})
			h1, h2 := lab.Host("h1"), lab.Host("h2")
			h1.Run(t, "ip", "-6", "addr", "add", "2001:db8:a::1/128", "dev", "lo", "nodad")
			h1.Run(t, "ip", "-6", "route", "add", "unreachable", "2001:db8:a::/48", "proto", "static")
			h1.Run(t, "ip", "-6", "route", "add", "unreachable", "default", "proto", "static", "metric", "4000")
			h2.Run(t, "ip", "-6", "addr", "add", "2001:db8:b::1/128", "dev", "lo", "nodad")
			conf := babeldConf(tc.key)
			if tc.unicast {
				conf = strings.Replace(conf, "interface eth0 type tunnel", "interface eth0 type tunnel unicast true", 1)
			}
			bd := startBabeld(t, h1, conf, "1")
			cfg := babel.Config{RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}, Hello: time.Second,
				Xroutes: []babel.Xroute{{Prefix: netip.MustParsePrefix("2001:db8:b::/48")},
					{Prefix: netip.MustParsePrefix("::/0"), Src: netip.MustParsePrefix("2001:db8:b::/48")}},
				Install: babel.InstallPolicy{PrefSrc6: netip.MustParseAddr("2001:db8:b::1")}}
			if tc.key != "" {
				k, err := wire.NewKey("k1", wire.Blake2s128, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Auth.Sign = &k
			}
			ours := startOurs(t, h2, cfg, babel.Tunnel)
			ll := ours.link.LinkLocal.String()
			start := time.Now()
			netlab.WaitFor(t, 30*time.Second, "babeld lists us", func() error {
				if err := bd.has("neighbour", "address "+ll, "rxcost 96", "txcost 96"); err != nil {
					snap, _ := ours.sp.Snapshot()
					return fmt.Errorf("%w\nour neighbours %+v\nour stats %+v", err, snap.Neighbours, snap.Stats)
				}
				return nil
			})
			netlab.WaitFor(t, 30*time.Second, "we list babeld", func() error {
				snap, err := ours.sp.Snapshot()
				if err != nil {
					return err
				}
				for _, n := range snap.Neighbours {
					if n.Addr == h1.LinkLocal && n.TxCost == 96 && n.Cost < 0xFFFF {
						return nil
					}
				}
				return fmt.Errorf("neighbours: %+v", snap.Neighbours)
			})
			netlab.WaitFor(t, 30*time.Second, "babeld installs our routes", func() error {
				if err := bd.has("route", "prefix 2001:db8:b::/48 from ::/0", "installed yes", "id 02:00:00:00:00:00:00:0b"); err != nil {
					return err
				}
				return bd.has("route", "prefix ::/0 from 2001:db8:b::/48", "installed yes")
			})
			netlab.WaitFor(t, 30*time.Second, "babeld's kernel", routeLine(t, h1, "2001:db8:b::/48 via "+ll, "proto babel"))
			netlab.WaitFor(t, 30*time.Second, "our kernel", routeLine(t, h2, "2001:db8:a::/48 via "+h1.LinkLocal.String(), "proto babel", "src 2001:db8:b::1"))
			netlab.WaitFor(t, 30*time.Second, "source-specific default", routeLine(t, h2, "default from 2001:db8::/32 via "+h1.LinkLocal.String(), "proto babel"))
			if err := routeLine(t, h2, "default via "+h1.LinkLocal.String())(); err == nil {
				t.Error("a plain default route was installed from a source-specific one")
			}
			t.Logf("converged with babeld in %v", time.Since(start))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			st, err := h2.Ping(ctx, "2001:db8:a::1", 3)
			if err != nil || st.PacketsRecv == 0 {
				t.Fatalf("ping6 2001:db8:a::1 from h2: %v %+v", err, st)
			}
			if tc.key != "" {
				out, _ := os.ReadFile(bd.log)
				if !strings.Contains(string(out), "Challenge succeeded") {
					t.Error("babeld log has no 'Challenge succeeded'")
				}
			}
			// Our clean stop: babeld must drop our routes at once.
			ours.stop()
			stopped := time.Now()
			netlab.WaitFor(t, 10*time.Second, "babeld retracts our routes", func() error {
				if bd.has("route", "prefix 2001:db8:b::/48", "installed yes", "metric 96") == nil {
					return fmt.Errorf("still installed")
				}
				return nil
			})
			t.Logf("babeld dropped our routes %v after our stop", time.Since(stopped))
			if err := routeLine(t, h2, "proto babel")(); err == nil {
				t.Error("our kernel routes were left behind at stop")
			}
		})
	}
}

// TestLabBabeldWrongKey: babeld and we sign with different keys; neither may
// accept the other as a neighbour, and no route may flow.
func TestLabBabeldWrongKey(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 2})
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	h1.Run(t, "ip", "-6", "route", "add", "unreachable", "2001:db8:a::/48", "proto", "static")
	bd := startBabeld(t, h1, babeldConf("000102030405060708090a0b0c0d0e0f"), "1")
	k, err := wire.NewKey("k2", wire.Blake2s128, []byte("a different key!"))
	if err != nil {
		t.Fatal(err)
	}
	ours := startOurs(t, h2, babel.Config{RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}, Hello: time.Second,
		Xroutes: []babel.Xroute{{Prefix: netip.MustParsePrefix("2001:db8:b::/48")}}, Auth: babel.Auth{Sign: &k}}, babel.Tunnel)
	// Proof that packets flow both ways: we reject several of babeld's, and
	// babeld logged ours as badly signed.
	netlab.WaitFor(t, 30*time.Second, "babeld's packets rejected", func() error {
		snap, err := ours.sp.Snapshot()
		if err != nil {
			return err
		}
		if snap.Stats.BadMAC < 5 {
			return fmt.Errorf("%d packets rejected", snap.Stats.BadMAC)
		}
		if len(snap.Neighbours) != 0 || len(snap.Routes) != 0 {
			return fmt.Errorf("wrong-key peer accepted: %+v %+v", snap.Neighbours, snap.Routes)
		}
		return nil
	})
	lines, err := bd.dump()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if strings.Contains(l, "neighbour") || strings.Contains(l, "2001:db8:b::") {
			t.Errorf("babeld accepted a wrong-key peer: %s", l)
		}
	}
	if err := routeLine(t, h2, "proto babel")(); err == nil {
		t.Error("routes installed from a wrong-key peer")
	}
}
