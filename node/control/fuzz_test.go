package control

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"op":"hello","protocol":"re6st-control","version":1}`,
		`{"id":2,"op":"subscribe"}`,
		`{"id":3,"op":"kill_tunnel","arg":"re6stnet-udp/2001:db8:42::/48"}`,
		`{"id":4,"op":"cancel","cancel":2}`,
		`{"id":5,"op":"connect_peer","arg":"2001:db8:1::/48"}`,
		`{"id":0}`, `[]`, `{"id":-1,"op":"x"}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := decodeRequest(line)
		if err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", line, err)
		}
		back, err := decodeRequest(b)
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", line, back, err, r)
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"end":true,"hello":{"protocol":"re6st-control","version":1}}`,
		`{"id":2}`,
		`{"id":2,"event":{"kind":"log","time":"2026-01-02T03:04:05Z","log":{"time":"2026-01-02T03:04:05Z","level":0,"source":"node","msg":"hi"}}}`,
		`{"id":3,"hop":{"hop":1,"addrs":["2001:db8::1"],"sent":3,"loss":0.5,"last":1000}}`,
		`{"id":4,"end":true,"error":"no such tunnel"}`,
		`{"id":5,"end":true,"snapshot":{"identity":{"prefix":"2001:db8:42::/48"},"tunnels":[{"id":"t"}]}}`,
		`{"id":6,"error":"x"}`, `{"id":7,"hop":{},"event":{}}`, `{"snapshot":{"kernel_routes":[{"dst":"zz"}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := decodeReply(line)
		if err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", line, err)
		}
		back, err := decodeReply(b)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", b, err)
		}
		if back.ID != r.ID || back.End != r.End || back.Error != r.Error ||
			!reflect.DeepEqual(back.Hello, r.Hello) {
			t.Fatalf("round trip of %q: %+v, want %+v", line, back, r)
		}
	})
}
