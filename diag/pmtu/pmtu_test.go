package pmtu

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

var dst = netip.MustParseAddr("2001:db8:42:9::1")

func quote(ident, seq uint16, to netip.Addr) []byte {
	b := make([]byte, headers+8)
	b[0], b[6] = 0x60, 58
	d := to.As16()
	copy(b[24:], d[:])
	b[40] = byte(ipv6.ICMPTypeEchoRequest)
	binary.BigEndian.PutUint16(b[44:], ident)
	binary.BigEndian.PutUint16(b[46:], seq)
	return b
}

func msg(t ipv6.ICMPType, body icmp.MessageBody) []byte {
	b, err := (&icmp.Message{Type: t, Body: body}).Marshal(nil)
	if err != nil {
		panic(err)
	}
	return b
}

func TestClassify(t *testing.T) {
	p := &prober{cfg: Config{Dst: dst}, ident: 7, seq: 3}
	from := &net.IPAddr{IP: net.IP(dst.AsSlice())}
	router := &net.IPAddr{IP: net.ParseIP("2001:db8:1::1")}
	for _, tt := range []struct {
		name string
		msg  []byte
		from net.Addr
		want outcome
		ok   bool
	}{
		{"reply", msg(ipv6.ICMPTypeEchoReply, &icmp.Echo{ID: 7, Seq: 3}), from, answered, true},
		{"old-reply", msg(ipv6.ICMPTypeEchoReply, &icmp.Echo{ID: 7, Seq: 2}), from, lost, false},
		{"reply-from-elsewhere", msg(ipv6.ICMPTypeEchoReply, &icmp.Echo{ID: 7, Seq: 3}), router, lost, false},
		{"too-big", msg(ipv6.ICMPTypePacketTooBig, &icmp.PacketTooBig{MTU: 1400, Data: quote(7, 3, dst)}), router, tooBig, true},
		{"too-big-for-other", msg(ipv6.ICMPTypePacketTooBig, &icmp.PacketTooBig{MTU: 1400, Data: quote(8, 3, dst)}), router, lost, false},
		{"too-big-short", msg(ipv6.ICMPTypePacketTooBig, &icmp.PacketTooBig{MTU: 1400, Data: quote(7, 3, dst)[:30]}), router, lost, false},
		{"garbage", []byte{2, 0}, router, lost, false},
		{"nil-from", msg(ipv6.ICMPTypeEchoReply, &icmp.Echo{ID: 7, Seq: 3}), nil, lost, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if o, ok := p.classify(tt.msg, tt.from); o != tt.want || ok != tt.ok {
				t.Fatalf("got %v %v", o, ok)
			}
		})
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(msg(ipv6.ICMPTypePacketTooBig, &icmp.PacketTooBig{MTU: 1400, Data: quote(7, 3, dst)}))
	f.Add(msg(ipv6.ICMPTypeEchoReply, &icmp.Echo{ID: 7, Seq: 3}))
	p := &prober{cfg: Config{Dst: dst}, ident: 7, seq: 3}
	f.Fuzz(func(t *testing.T, b []byte) {
		p.classify(b, &net.IPAddr{IP: net.IP(dst.AsSlice())})
	})
}
