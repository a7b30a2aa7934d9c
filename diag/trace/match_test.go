package trace

import (
	"net/netip"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

func udpMatcher() matcher {
	return matcher{mode: UDP, dst: testDst, port: 33434, srcPort: 40000}
}

func TestMatch(t *testing.T) {
	f := &fakePath{m: udpMatcher()}
	quoted := f.quote(7)
	other := &fakePath{m: udpMatcher()}
	other.m.srcPort = 40001 // another traceroute on the same host
	hbh := append(ipv6Header(0, testSrc, testDst), append([]byte{17, 0, 1, 4, 0, 0, 0, 0}, quoted[ipv6.HeaderLen:]...)...)
	router := hopAddr(1)
	tests := []struct {
		name string
		msg  []byte
		from netip.Addr
		want answer
		ok   bool
	}{
		{"time-exceeded", marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: quoted}), router, answer{seq: 7, kind: TimeExceeded}, true},
		{"port-unreachable-from-dst", marshal(ipv6.ICMPTypeDestinationUnreachable, 4, &icmp.DstUnreach{Data: quoted}), testDst, answer{seq: 7, kind: Reached, code: 4}, true},
		{"port-unreachable-from-router", marshal(ipv6.ICMPTypeDestinationUnreachable, 4, &icmp.DstUnreach{Data: quoted}), router, answer{seq: 7, kind: Unreachable, code: 4}, true},
		{"no-route", marshal(ipv6.ICMPTypeDestinationUnreachable, 0, &icmp.DstUnreach{Data: quoted}), router, answer{seq: 7, kind: Unreachable}, true},
		{"hop-by-hop-header", marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: hbh}), router, answer{seq: 7, kind: TimeExceeded}, true},
		{"someone-elses-port", marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: other.quote(7)}), router, answer{}, false},
		{"truncated-quote", marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: quoted[:44]}), router, answer{}, false},
		{"echo-reply-in-udp-mode", marshal(ipv6.ICMPTypeEchoReply, 0, &icmp.Echo{ID: 1, Seq: 7}), testDst, answer{}, false},
		{"garbage", []byte{3, 0, 0}, router, answer{}, false},
		{"empty", nil, router, answer{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := udpMatcher().match(tt.msg, tt.from)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestMatchEcho(t *testing.T) {
	m := matcher{mode: ICMP, dst: testDst, ident: 99}
	f := &fakePath{m: m}
	if a, ok := m.match(marshal(ipv6.ICMPTypeEchoReply, 0, &icmp.Echo{ID: 99, Seq: 5}), testDst); !ok || a.seq != 5 || a.kind != Reached {
		t.Errorf("echo reply: %+v %v", a, ok)
	}
	if _, ok := m.match(marshal(ipv6.ICMPTypeEchoReply, 0, &icmp.Echo{ID: 98, Seq: 5}), testDst); ok {
		t.Error("matched another identifier")
	}
	if a, ok := m.match(marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: f.quote(6)}), hopAddr(2)); !ok || a.seq != 6 {
		t.Errorf("quoted echo: %+v %v", a, ok)
	}
}

// FuzzMatch feeds arbitrary bytes as ICMPv6 messages: never a panic, and
// anything accepted carries a sequence number inside the port span.
func FuzzMatch(f *testing.F) {
	q := (&fakePath{m: udpMatcher()}).quote(3)
	f.Add(marshal(ipv6.ICMPTypeTimeExceeded, 0, &icmp.TimeExceeded{Data: q}))
	f.Add(marshal(ipv6.ICMPTypeDestinationUnreachable, 4, &icmp.DstUnreach{Data: q}))
	f.Add(marshal(ipv6.ICMPTypeEchoReply, 0, &icmp.Echo{ID: 1, Seq: 2}))
	f.Add([]byte{1, 4, 0, 0, 0, 0, 0, 0, 0x60})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []matcher{udpMatcher(), {mode: ICMP, dst: testDst, ident: 1}} {
			if a, ok := m.match(b, testDst); ok && m.mode == UDP && int(a.seq) >= portSpan {
				t.Fatalf("seq %d outside the span", a.seq)
			}
		}
	})
}
