package netconf

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"re6st-tui/node/cache"
)

func compress(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// fakeDecrypt "decrypts" by dropping a marker prefix, so tests can tell
// decrypted keys from raw ones.
func fakeDecrypt(c []byte) ([]byte, error) {
	k, ok := bytes.CutPrefix(c, []byte("enc:"))
	if !ok {
		return nil, errors.New("not for us")
	}
	return k, nil
}

var b64 = base64.StdEncoding.EncodeToString

// sample is shaped like a registry's answer (protocol doc §2.6).
var sample = `{"babel_default": "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125", "crl": [3, 7], "protocol": 10, "registry_prefix": "0000000000000000", "ipv4": "198.18.128.0/17", "ipv4_sublen": 8, "client_count": 3, "encrypt": false, "hello": 4, "max_clients": 6, "min_protocol": 1, "tunnel_refresh": 300, "": ["version"], "version": "` + b64([]byte{0x02, 0xaa, 0xbb}) + `", "babel_hmac_sign": "` + b64([]byte("enc:0123456789abcdef")) + `", "babel_hmac_accept": "", "delay_restart": 2}`

func TestDecode(t *testing.T) {
	rows, delay, err := Decode(compress(t, sample), fakeDecrypt)
	if err != nil {
		t.Fatal(err)
	}
	if delay != 2 {
		t.Errorf("delay_restart = %d", delay)
	}
	if rows["crl:json"] != "[3, 7]" {
		t.Errorf("crl row = %q, want Python's JSON", rows["crl:json"])
	}
	if _, ok := rows["delay_restart"]; ok {
		t.Error("delay_restart stored as a row")
	}
	c, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Version, []byte{0x02, 0xaa, 0xbb}) || string(c.BabelHMACSign) != "0123456789abcdef" {
		t.Errorf("version %x, sign %q", c.Version, c.BabelHMACSign)
	}
	if !c.HasBabelHMACAccept || len(c.BabelHMACAccept) != 0 {
		t.Error("empty babel_hmac_accept must read as present and empty (accept unsigned)")
	}
	if c.Hello != 4 || c.ClientCount != 3 || c.Encrypt || c.IPv4SubLen != 8 || !slices.Equal(c.CRL, []uint64{3, 7}) {
		t.Errorf("config = %+v", c)
	}
	if !c.Revoked(7) || c.Revoked(4) {
		t.Error("Revoked disagrees with the CRL")
	}
}

func TestRowsSurviveTheCache(t *testing.T) {
	ctx := context.Background()
	rows, _, err := Decode(compress(t, sample), fakeDecrypt)
	if err != nil {
		t.Fatal(err)
	}
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "cache.db"), "0000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ReplaceConfig(ctx, rows); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := FromRows(rows)
	got, err := FromRows(stored)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hello != want.Hello || !bytes.Equal(got.Version, want.Version) || !slices.Equal(got.CRL, want.CRL) ||
		!bytes.Equal(got.BabelHMACSign, want.BabelHMACSign) || got.HasBabelHMACAccept != want.HasBabelHMACAccept {
		t.Errorf("after the cache: %+v, want %+v", got, want)
	}
	// The same answer again changes nothing.
	if changed, _ := db.ReplaceConfig(ctx, rows); len(changed) != 0 {
		t.Errorf("unchanged config reported changes: %v", changed)
	}
}

func TestMustRestart(t *testing.T) {
	if MustRestart([]string{"crl", "version"}, true) {
		t.Error("crl and version apply live")
	}
	if !MustRestart([]string{"hello"}, false) {
		t.Error("hello needs a restart")
	}
	if MustRestart([]string{"client_count"}, false) || !MustRestart([]string{"client_count"}, true) {
		t.Error("client_count restarts only nodes with a tunnel manager")
	}
}

func TestDecodeErrors(t *testing.T) {
	for name, body := range map[string][]byte{
		"not-zlib":   []byte("{}"),
		"bad-json":   compress(t, "{"),
		"bad-key":    compress(t, `{"babel_hmac_sign": "`+b64([]byte("raw"))+`"}`),
		"bad-base64": compress(t, `{"": ["version"], "version": "%%%"}`),
		"bad-delay":  compress(t, `{"delay_restart": "soon"}`),
	} {
		if _, _, err := Decode(body, fakeDecrypt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := FromRows(map[string]any{"hello": int64(0)}); err == nil {
		t.Error("a config without its required settings was accepted")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(compress(f, sample))
	f.Add(compress(f, `{"crl": {"a": [1, {"b": null}]}, "hello": 1.5}`))
	f.Add([]byte{0x78, 0x9c})
	f.Fuzz(func(t *testing.T, body []byte) {
		rows, _, err := Decode(body, fakeDecrypt)
		if err != nil {
			return
		}
		FromRows(rows)
	})
}
