package registry

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// TestUDPNode plays the local node on a loopback port: the registry's
// datagram is prefix‖0‖code, the answer prefix‖0‖code‖text, and garbage
// in between is dropped and counted.
func TestUDPNode(t *testing.T) {
	node, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer node.Close()
	ch, err := NewUDPNode(node.LocalAddr().(*net.UDPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	go func() {
		buf := make([]byte, 512)
		n, from, err := node.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if !bytes.Equal(buf[:n], []byte("0000000000000111\x00\x01")) {
			node.WriteToUDP([]byte("1\x00\x09unexpected request"), from)
			return
		}
		node.WriteToUDP([]byte("not binary\x00\x01x"), from)
		node.WriteToUDP([]byte("0000000000000111\x00\x01198.51.100.9,1194,tcp,FR"), from)
	}()
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Node = ch
	r := openTest(t, cfg)
	msg, ok := r.queryAddress("0000000000000111")
	if !ok || msg != "198.51.100.9,1194,tcp,FR" {
		t.Fatalf("answer %q %v", msg, ok)
	}
	if dropped := ch.Dropped(); dropped != 1 {
		t.Errorf("dropped %d malformed replies, want 1", dropped)
	}
	if _, _, _, err := ch.Recv(time.Now().Add(10 * time.Millisecond)); err == nil {
		t.Error("Recv returned without a datagram")
	}
}
