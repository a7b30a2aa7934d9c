package main

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/node/control"
	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

func TestDoctorReadsTheNodeConfig(t *testing.T) {
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false)
	key := idtest.Key(1024, 1)
	cert := ca.IssueFor(key, "0000000000000011", 7, time.Now().Add(-time.Hour))
	dir := t.TempDir()
	keyPEM, err := identity.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"ca.crt":        ca.PEM,
		"cert.crt":      identity.EncodeCertPEM(cert),
		"cert.key":      keyPEM,
		"re6stnet.conf": []byte("registry http://198.18.0.11/\nca ca.crt\ncert cert.crt\nkey cert.key\npp 1194 tcp\npp 1195 udp6\ndisable-proto none\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, run, err := nodeFromConfig(filepath.Join(dir, "re6stnet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Network.String() != "2001:db8:42::/48" || n.Addr.String() != "2001:db8:42:3::1" || n.Registry != "http://198.18.0.11/" {
		t.Errorf("node = %+v", n)
	}
	if len(n.TunnelPorts) != 2 || n.TunnelPorts[1].Proto != "udp" || n.TunnelPorts[1].Port != 1195 {
		t.Errorf("ports = %+v", n.TunnelPorts)
	}
	if run.socket != "/var/run/re6stnet/control.sock" || len(run.ipv4) != 1 || run.ipv4[0].Port != 1194 {
		t.Errorf("running node %+v, want re6stnet's default socket and the one IPv4 server, 1194/tcp", run)
	}
	if _, _, err := nodeFromConfig(filepath.Join(dir, "missing.conf")); err == nil {
		t.Error("a missing configuration is not reported")
	}
}

// TestDoctorAsksTheRunningNodeForUPnP: the UPnP check's input comes from
// the running node's control socket, and is unknown without one.
func TestDoctorAsksTheRunningNodeForUPnP(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "control.sock")
	run := running{socket: socket, ipv4: []doctor.Port{{Proto: "udp", Port: 1194}, {Proto: "udp", Port: 1195}}}
	if u := runningUPnP(context.Background(), run); u != nil {
		t.Fatalf("no node, yet UPnP %+v", u)
	}
	st := fake.Typical(time.Now())
	st.UPnP = state.UPnP{Phase: state.UPnPFailed, Error: "no Internet gateway answered"}
	ln, err := control.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- (&control.Server{Engine: fake.New(st)}).Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	u := runningUPnP(ctx, run)
	if u == nil || u.Phase != "failed" || u.Error != st.UPnP.Error || len(u.Ports) != 2 {
		t.Fatalf("UPnP %+v, want the node's failure and its two IPv4 ports", u)
	}
}
