package babel_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"re6st-tui/node/netlab"
	"re6st-tui/routing/babel"
	"re6st-tui/routing/babel/wire"
)

// TestLabBabeldTap: babeld 1.12 and our speaker over a real OpenVPN 2.6 tap,
// both ends `type tunnel` with re6st's RTT tuning. Both must list the other
// with a finite cost and a measured RTT whose rttcost follows the formula,
// install each other's routes and carry ping6 both ways. In "delayed", the
// tunnel's UDP goes through a relay that holds every datagram 25 ms each
// way (this kernel has no netem), so the RTT penalty applies.
func TestLabBabeldTap(t *testing.T) {
	for _, tc := range []struct {
		name     string
		delay    time.Duration
		min, max time.Duration // bounds of the RTT (the first sample counts double)
	}{
		{"direct", 0, time.Microsecond, 200 * time.Millisecond},
		{"delayed", 25 * time.Millisecond, 45 * time.Millisecond, 500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := netlab.New(t, netlab.Config{Hosts: 2})
			h1, h2 := lab.Host("h1"), lab.Host("h2")
			openTap(t, h1, h2, tc.delay)
			h1.Run(t, "ip", "-6", "addr", "add", "2001:db8:a::1/128", "dev", "lo", "nodad")
			h1.Run(t, "ip", "-6", "route", "add", "unreachable", "2001:db8:a::/48", "proto", "static")
			h2.Run(t, "ip", "-6", "addr", "add", "2001:db8:b::1/128", "dev", "lo", "nodad")
			bd := startBabeld(t, h1, `router-id 02:00:00:00:00:00:00:0a
redistribute local deny
redistribute ip 2001:db8:a::/48 eq 48
redistribute deny
default max-rtt-penalty 5000 rtt-max 500 rtt-decay 125
interface tapa type tunnel
`, "1")
			ours := startOurs(t, h2, babel.Config{RouterID: wire.RouterID{2, 0, 0, 0, 0, 0, 0, 0xb}, Hello: time.Second,
				RTT:     babel.RE6STRTT,
				Xroutes: []babel.Xroute{{Prefix: netip.MustParsePrefix("2001:db8:b::/48")}},
				Install: babel.InstallPolicy{PrefSrc6: netip.MustParseAddr("2001:db8:b::1")}}, babel.Tunnel, "tapb")
			ourLL, babeldLL := ours.link.LinkLocal, linkLocalOf(t, h1, "tapa")
			start := time.Now()
			inRange := func(rtt time.Duration) error {
				if rtt < tc.min || rtt > tc.max {
					return fmt.Errorf("rtt %v, want between %v and %v", rtt, tc.min, tc.max)
				}
				if tc.delay > 0 && rttCost(babel.RE6STRTT, rtt) == 0 {
					return fmt.Errorf("rtt %v carries no penalty", rtt)
				}
				return nil
			}
			var babeldView string
			rttRe := regexp.MustCompile(`address ` + regexp.QuoteMeta(ourLL.String()) + ` if tapa .*txcost (\d+) rtt (\d+)\.(\d{3}) rttcost (\d+) cost (\d+)`)
			netlab.WaitFor(t, 30*time.Second, "babeld lists us with an RTT", func() error {
				lines, err := bd.dump()
				if err != nil {
					return err
				}
				for _, l := range lines {
					m := rttRe.FindStringSubmatch(l)
					if m == nil {
						continue
					}
					txcost, _ := strconv.Atoi(m[1])
					ms, _ := strconv.Atoi(m[2])
					us, _ := strconv.Atoi(m[3])
					rttcost, _ := strconv.Atoi(m[4])
					cost, _ := strconv.Atoi(m[5])
					rtt := time.Duration(ms)*time.Millisecond + time.Duration(us)*time.Microsecond
					if txcost != 96 || cost >= 0xFFFF {
						return fmt.Errorf("babeld: txcost %d cost %d: %s", txcost, cost, l)
					}
					if want := rttCost(babel.RE6STRTT, rtt); rttcost != want {
						return fmt.Errorf("babeld: rtt %v gives rttcost %d, formula %d: %s", rtt, rttcost, want, l)
					}
					babeldView = l
					return inRange(rtt)
				}
				return fmt.Errorf("no neighbour line with an RTT for %v: %q", ourLL, lines)
			})
			netlab.WaitFor(t, 30*time.Second, "we list babeld with an RTT", func() error {
				snap, err := ours.sp.Snapshot()
				if err != nil {
					return err
				}
				for _, n := range snap.Neighbours {
					if n.Addr != babeldLL {
						continue
					}
					if n.TxCost != 96 || n.Cost >= 0xFFFF || n.RTT == 0 {
						return fmt.Errorf("neighbour %+v", n)
					}
					if want := rttCost(babel.RE6STRTT, n.RTT); int(n.RTTCost) != want {
						return fmt.Errorf("rtt %v gives rttcost %d, formula %d", n.RTT, n.RTTCost, want)
					}
					if want := min(96+int(n.RTTCost), 0xFFFF); int(n.Cost) != want {
						return fmt.Errorf("cost %d, want txcost 96 + rttcost %d", n.Cost, n.RTTCost)
					}
					return inRange(n.RTT)
				}
				return fmt.Errorf("no neighbour %v: %+v", babeldLL, snap.Neighbours)
			})
			netlab.WaitFor(t, 30*time.Second, "babeld's kernel", routeLine(t, h1, "2001:db8:b::/48 via "+ourLL.String(), "dev tapa", "proto babel"))
			netlab.WaitFor(t, 30*time.Second, "our kernel", routeLine(t, h2, "2001:db8:a::/48 via "+babeldLL.String(), "dev tapb", "proto babel"))
			t.Logf("converged over the tap in %v; babeld's view of us: %s", time.Since(start), babeldView)
			for _, p := range []struct {
				from *netlab.Host
				to   string
			}{{h2, "2001:db8:a::1"}, {h1, "2001:db8:b::1"}} {
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				st, err := p.from.Ping(ctx, p.to, 3)
				cancel()
				if err != nil {
					t.Fatalf("ping6 %s from %s over the tap: %v", p.to, p.from.Name, err)
				}
				t.Logf("ping6 %s from %s: avg %v", p.to, p.from.Name, st.AvgRtt)
			}
			snap, _ := ours.sp.Snapshot()
			for _, n := range snap.Neighbours {
				t.Logf("our view of babeld: rtt %v rttcost %d cost %d", n.RTT, n.RTTCost, n.Cost)
			}
		})
	}
}

// rttCost is RFC 9616's penalty as babeld computes it, in µs.
func rttCost(p babel.RTT, rtt time.Duration) int {
	us, lo, hi := rtt.Microseconds(), p.Min.Microseconds(), p.Max.Microseconds()
	switch {
	case us <= lo:
		return 0
	case us <= hi:
		return int(int64(p.MaxPenalty) * (us - lo) / (hi - lo))
	}
	return int(p.MaxPenalty)
}

// openTap joins h1 (tapa, TLS server) and h2 (tapb, TLS client) with an
// OpenVPN 2.6 point-to-point tap tunnel over UDP, each end pinning the
// other's self-signed certificate. With delay > 0 the client reaches the
// server through a relay in h2 that holds every datagram that long.
func openTap(t *testing.T, h1, h2 *netlab.Host, delay time.Duration) {
	t.Helper()
	dir := t.TempDir()
	aCert, aKey, aFP := selfSigned(t, dir, "a")
	bCert, bKey, bFP := selfSigned(t, dir, "b")
	for _, tap := range []struct {
		h    *netlab.Host
		name string
	}{{h1, "tapa"}, {h2, "tapb"}} {
		// A persistent tap, up before OpenVPN opens it: it gets carrier,
		// then its fe80:: address, when OpenVPN attaches.
		tap.h.Run(t, "ip", "tuntap", "add", "dev", tap.name, "mode", "tap")
		tap.h.Run(t, "ip", "link", "set", tap.name, "up")
	}
	common := []string{"--dev-type", "tap", "--proto", "udp4", "--disable-dco", "--dh", "none",
		"--data-ciphers", "AES-128-GCM", "--ping", "1", "--ping-restart", "30", "--verb", "3", "--mute-replay-warnings"}
	remote := netip.AddrPortFrom(h1.IPv4, 1194)
	if delay > 0 {
		remote = startDelayRelay(t, h2, netip.MustParseAddrPort("127.0.0.1:1195"), remote, delay)
	}
	server := startOpenVPN(t, h1, append(common, "--dev", "tapa", "--lport", "1194", "--float",
		"--tls-server", "--cert", aCert, "--key", aKey, "--peer-fingerprint", bFP)...)
	client := startOpenVPN(t, h2, append(common, "--dev", "tapb", "--nobind",
		"--remote", remote.Addr().String(), strconv.Itoa(int(remote.Port())),
		"--tls-client", "--cert", bCert, "--key", bKey, "--peer-fingerprint", aFP)...)
	for _, p := range []*netlab.Process{server, client} {
		netlab.WaitFor(t, 30*time.Second, "OpenVPN tunnel up", func() error {
			select {
			case <-p.Done():
				return fmt.Errorf("openvpn exited: %v\n%s", p.Err(), tail(p.Output(), 2000))
			default:
			}
			if !strings.Contains(p.Output(), "Initialization Sequence Completed") {
				return fmt.Errorf("not yet:\n%s", tail(p.Output(), 1000))
			}
			return nil
		})
	}
}

func startOpenVPN(t *testing.T, h *netlab.Host, args ...string) *netlab.Process {
	t.Helper()
	p, err := h.Start("openvpn", args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("openvpn in %s:\n%s", h.Name, tail(p.Output(), 3000))
		}
	})
	return p
}

// selfSigned writes an ECDSA certificate and key for name and returns their
// paths and the certificate's SHA-256 fingerprint as OpenVPN prints it.
func selfSigned(t *testing.T, dir, name string) (cert, key, fingerprint string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	return cert, key, strings.Join(hexes, ":")
}

// startDelayRelay relays UDP between listen and remote, from inside h, and
// holds each datagram for delay in each direction. It returns listen.
func startDelayRelay(t *testing.T, h *netlab.Host, listen, remote netip.AddrPort, delay time.Duration) netip.AddrPort {
	t.Helper()
	var ln, up *net.UDPConn
	err := h.Do(func() error {
		var err error
		if ln, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen)); err != nil {
			return err
		}
		up, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); up.Close() })
	var client atomic.Pointer[netip.AddrPort] // the OpenVPN client, from its first datagram
	// Each direction: a reader stamps datagrams, a writer sends them in
	// order once their time has come.
	relay := func(read func([]byte) (int, error), write func([]byte) error) {
		type held struct {
			at   time.Time
			data []byte
		}
		q := make(chan held, 1024)
		go func() {
			defer close(q)
			buf := make([]byte, 65536)
			for {
				n, err := read(buf)
				if err != nil {
					return
				}
				q <- held{time.Now().Add(delay), append([]byte(nil), buf[:n]...)}
			}
		}()
		go func() {
			for d := range q {
				time.Sleep(time.Until(d.at))
				_ = write(d.data)
			}
		}()
	}
	relay(func(b []byte) (int, error) {
		n, from, err := ln.ReadFromUDPAddrPort(b)
		if err == nil {
			client.Store(&from)
		}
		return n, err
	}, func(b []byte) error { _, err := up.Write(b); return err })
	relay(up.Read, func(b []byte) error {
		if c := client.Load(); c != nil {
			_, err := ln.WriteToUDPAddrPort(b, *c)
			return err
		}
		return nil
	})
	return listen
}

// linkLocalOf waits for the fe80:: address of iface in h.
func linkLocalOf(t *testing.T, h *netlab.Host, iface string) netip.Addr {
	t.Helper()
	var ll netip.Addr
	netlab.WaitFor(t, 10*time.Second, iface+" link-local address", func() error {
		out, err := h.Command(t.Context(), "ip", "-6", "-o", "addr", "show", "dev", iface, "scope", "link").CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		f := strings.Fields(string(out))
		for i, w := range f {
			if w == "inet6" && i+1 < len(f) {
				ll = netip.MustParsePrefix(f[i+1]).Addr()
				return nil
			}
		}
		return fmt.Errorf("no fe80:: address on %s yet", iface)
	})
	return ll
}
