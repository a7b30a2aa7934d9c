package openvpn

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestParserLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"success", "SUCCESS: real-time state notification set to ON", Result{OK: true, Text: "real-time state notification set to ON"}},
		{"error", "ERROR: unknown command, enter 'help' for more options", Result{Text: "unknown command, enter 'help' for more options"}},
		{"state-connected", ">STATE:1732480000,CONNECTED,SUCCESS,,198.18.0.11,1194,198.18.0.12,40000",
			State{Time: time.Unix(1732480000, 0), Name: "CONNECTED", Desc: "SUCCESS",
				Remote: netip.MustParseAddrPort("198.18.0.11:1194"), Bound: netip.MustParseAddrPort("198.18.0.12:40000")}},
		{"state-v6", ">STATE:1732480000,CONNECTED,SUCCESS,,2001:db8:ff00::11,1194,,,",
			State{Time: time.Unix(1732480000, 0), Name: "CONNECTED", Desc: "SUCCESS",
				Remote: netip.MustParseAddrPort("[2001:db8:ff00::11]:1194")}},
		{"state-short", ">STATE:1732480000,WAIT,,,,,,", State{Time: time.Unix(1732480000, 0), Name: "WAIT"}},
		{"bytecount", ">BYTECOUNT:1234,5678", ByteCount{CID: -1, In: 1234, Out: 5678}},
		{"bytecount-cli", ">BYTECOUNT_CLI:3,10,20", ByteCount{CID: 3, In: 10, Out: 20}},
		{"log-with-commas", ">LOG:1732480000,I,PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 198.18.0.12,peer-id 0'",
			Log{Time: time.Unix(1732480000, 0), Flags: "I", Text: "PUSH: Received control message: 'PUSH_REPLY,setenv-safe external_ip 198.18.0.12,peer-id 0'"}},
		{"hold", ">HOLD:Waiting for hold release:0", Notice{Source: "HOLD", Text: "Waiting for hold release:0"}},
		{"address", ">CLIENT:ADDRESS,4,10.0.0.2,1", Client{Event: "ADDRESS", CID: 4, KID: -1, Env: map[string]string{"addr": "10.0.0.2", "primary": "1"}}},
		{"output", "1732480000,CONNECTED,SUCCESS", Line{Text: "1732480000,CONNECTED,SUCCESS"}},
		{"crlf", "SUCCESS: pid=42\r", Result{OK: true, Text: "pid=42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			got, err := p.Feed(tt.in)
			if err != nil {
				t.Fatalf("Feed(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Feed(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParserClientBlock(t *testing.T) {
	var p Parser
	lines := []string{
		">CLIENT:CONNECT,7,1",
		">CLIENT:ENV,common_name=1/16",
		">CLIENT:ENV,tls_serial_0=5",
		">CLIENT:ENV,trusted_ip=198.18.0.12",
		">CLIENT:ENV,weird=a=b",
	}
	for _, l := range lines {
		if m, err := p.Feed(l); m != nil || err != nil {
			t.Fatalf("Feed(%q) = %v, %v before END", l, m, err)
		}
	}
	m, err := p.Feed(">CLIENT:ENV,END")
	if err != nil {
		t.Fatal(err)
	}
	want := Client{Event: "CONNECT", CID: 7, KID: 1, Env: map[string]string{
		"common_name": "1/16", "tls_serial_0": "5", "trusted_ip": "198.18.0.12", "weird": "a=b"}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %#v\nwant %#v", m, want)
	}
}

func TestParserMalformed(t *testing.T) {
	bad := []string{
		">", ">:x", ">STATE:notatime,CONNECTED", ">STATE:1", ">BYTECOUNT:1", ">BYTECOUNT:a,b",
		">BYTECOUNT_CLI:1,2", ">BYTECOUNT_CLI:x,1,2", ">LOG:1", ">LOG:x,I,t", ">CLIENT:CONNECT,1",
		">CLIENT:CONNECT,a,b", ">CLIENT:DISCONNECT", ">CLIENT:ESTABLISHED,x", ">CLIENT:ENV,a=b",
		">CLIENT:ADDRESS,1,2", ">CLIENT:ADDRESS,x,2,3",
	}
	for _, l := range bad {
		var p Parser
		m, err := p.Feed(l)
		if !errors.Is(err, ErrMalformed) || m != nil {
			t.Errorf("Feed(%q) = %v, %v; want ErrMalformed", l, m, err)
		}
	}
}

// A block cut by an unrelated line is dropped, and the line still parsed.
func TestParserCutBlock(t *testing.T) {
	var p Parser
	p.Feed(">CLIENT:DISCONNECT,2")
	p.Feed(">CLIENT:ENV,common_name=x")
	m, err := p.Feed("SUCCESS: ok")
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if m != (Result{OK: true, Text: "ok"}) {
		t.Fatalf("m = %#v", m)
	}
	if m, err := p.Feed(">CLIENT:ENV,END"); m != nil || err == nil {
		t.Fatalf("stray END = %v, %v; want an error", m, err)
	}
}

func TestParserBlockLimit(t *testing.T) {
	var p Parser
	p.Feed(">CLIENT:CONNECT,1,0")
	var err error
	for i := 0; i <= maxEnv && err == nil; i++ {
		_, err = p.Feed(">CLIENT:ENV,k" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)) + "=v")
	}
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("no error after %d variables", maxEnv)
	}
}

func FuzzParser(f *testing.F) {
	for _, s := range []string{
		">STATE:1732480000,CONNECTED,SUCCESS,,198.18.0.11,1194,198.18.0.12,40000",
		">CLIENT:CONNECT,7,1\n>CLIENT:ENV,common_name=1/16\n>CLIENT:ENV,END",
		">BYTECOUNT_CLI:3,10,20\n>BYTECOUNT:1,2",
		">LOG:1,I,x,y\nSUCCESS: a\nERROR: b\nEND",
		">CLIENT:ADDRESS,1,2,3\n>HOLD:Waiting",
		">CLIENT:ENV,END\n>CLIENT:REAUTH,1,2\nSUCCESS: x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var p Parser
		for _, line := range splitLines(s) {
			m, err := p.Feed(line)
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("Feed(%q): error not marked malformed: %v", line, err)
			}
			if c, ok := m.(Client); ok && len(c.Env) > maxEnv {
				t.Fatalf("client block of %d variables", len(c.Env))
			}
		}
	})
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}
