package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
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
	n, err := nodeFromConfig(filepath.Join(dir, "re6stnet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Network.String() != "2001:db8:42::/48" || n.Addr.String() != "2001:db8:42:3::1" || n.Registry != "http://198.18.0.11/" {
		t.Errorf("node = %+v", n)
	}
	if len(n.TunnelPorts) != 2 || n.TunnelPorts[1].Proto != "udp" || n.TunnelPorts[1].Port != 1195 {
		t.Errorf("ports = %+v", n.TunnelPorts)
	}
	if _, err := nodeFromConfig(filepath.Join(dir, "missing.conf")); err == nil {
		t.Error("a missing configuration is not reported")
	}
}
