package tunnels

import (
	"context"
	"io"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// labPair is a server in h1 and a client tunnel from h2, both with Encrypt
// set as asked.
func labPair(t testing.TB, encrypt bool, ipv4 ...netip.Prefix) (lab *netlab.Lab, srv, cli *labNode, iface string) {
	lab = netlab.New(t, netlab.Config{Hosts: 2})
	pki := newPKI(t, labNetwork)
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	scfg, ccfg := labConfig(t, h1, pki, "1/16", 1), labConfig(t, h2, pki, "2/16", 2)
	scfg.Encrypt, ccfg.Encrypt = encrypt, encrypt
	if len(ipv4) == 2 {
		scfg.IPv4, ccfg.IPv4 = ipv4[0], ipv4[1]
	}
	srv, cli = startNode(t, h1, scfg), startNode(t, h2, ccfg)
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	iface, err := cli.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	return lab, srv, cli, iface
}

// TestLabEncrypted: with encryption on, 2.6 peers negotiate an AEAD cipher
// and the tunnel carries traffic; IPv4 (--ifconfig) works across it.
func TestLabEncrypted(t *testing.T) {
	lab, _, cli, iface := labPair(t, true,
		netip.MustParsePrefix("198.19.42.1/24"), netip.MustParsePrefix("198.19.42.2/24"))
	up := cli.ev.wait(t, 20*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
	if up.Cipher == "" || up.Cipher == "none" {
		t.Errorf("data cipher %q, want a real cipher", up.Cipher)
	}
	ll := linkLocal(t, lab.Host("h1"), TCP.Iface())
	if _, err := cli.host.Ping(context.Background(), ll.String()+"%"+iface, 3); err != nil {
		t.Error(err)
	}
	if _, err := cli.host.Ping(context.Background(), "198.19.42.1", 3); err != nil {
		t.Error(err)
	}
}

func BenchmarkLabThroughputCipherNone(b *testing.B) { benchTunnel(b, false) }
func BenchmarkLabThroughputEncrypted(b *testing.B)  { benchTunnel(b, true) }

// BenchmarkLabThroughputUnderlay is the baseline: the same transfer
// between the same hosts without a tunnel.
func BenchmarkLabThroughputUnderlay(b *testing.B) {
	lab := netlab.New(b, netlab.Config{Hosts: 2})
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	bulk(b, h1, netip.AddrPortFrom(h1.IPv6, 0), h2, "")
}

// benchTunnel pushes bulk TCP through one TCP tunnel, over the taps'
// link-local addresses.
func benchTunnel(b *testing.B, encrypt bool) {
	lab, _, cli, iface := labPair(b, encrypt)
	h1 := lab.Host("h1")
	cli.ev.wait(b, 20*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
	ll := linkLocal(b, h1, TCP.Iface())
	link, err := h1.Handle().LinkByName(TCP.Iface())
	if err != nil {
		b.Fatal(err)
	}
	bulk(b, h1, netip.AddrPortFrom(ll.WithZone(strconv.Itoa(link.Attrs().Index)), 0), cli.host, iface)
}

// bulk listens in to at listen, connects from "from" (through its
// interface zone when set: link-local addresses need one) and sends b.N
// blocks of 64 KiB, counted as received.
func bulk(b *testing.B, to *netlab.Host, listen netip.AddrPort, from *netlab.Host, zone string) {
	var ln net.Listener
	err := to.Do(func() (err error) {
		ln, err = net.Listen("tcp6", listen.String())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	received := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			received <- -1
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		received <- n
	}()
	dst := netip.AddrPortFrom(listen.Addr().WithZone(""), uint16(ln.Addr().(*net.TCPAddr).Port))
	if zone != "" {
		link, err := from.Handle().LinkByName(zone)
		if err != nil {
			b.Fatal(err)
		}
		dst = netip.AddrPortFrom(dst.Addr().WithZone(strconv.Itoa(link.Attrs().Index)), dst.Port())
	}
	var conn net.Conn
	err = from.Do(func() (err error) {
		conn, err = net.DialTimeout("tcp6", dst.String(), 10*time.Second)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := conn.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	conn.Close()
	if n := <-received; n != int64(b.N)*int64(len(buf)) {
		b.Fatalf("received %d bytes, sent %d", n, int64(b.N)*int64(len(buf)))
	}
}

// BenchmarkLabConnect measures the time from Open to the Connected event
// of a TCP tunnel (cipher none).
func BenchmarkLabConnect(b *testing.B) {
	lab := netlab.New(b, netlab.Config{Hosts: 2})
	pki := newPKI(b, labNetwork)
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	srv := startNode(b, h1, labConfig(b, h1, pki, "1/16", 1))
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		b.Fatal(err)
	}
	m, err := New(labConfig(b, h2, pki, "2/16", 2))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Stop()
	to := []Address{address(h1, TCP, 1194)}
	next := func(k Kind) Event {
		for {
			select {
			case ev := <-m.Events():
				if ev.Kind == k {
					return ev
				}
				if ev.Kind == Failed {
					b.Fatalf("tunnel failed: %s", ev.Reason)
				}
			case <-time.After(30 * time.Second):
				b.Fatalf("no %v event in 30 s", k)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		iface, err := m.Open("1/16", to)
		if err != nil {
			b.Fatal(err)
		}
		next(Connected)
		b.StopTimer()
		if err := m.Close(iface); err != nil {
			b.Fatal(err)
		}
		next(Exited)
		b.StartTimer()
	}
}
