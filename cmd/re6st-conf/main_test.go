package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/registry"
	"re6st-tui/node/registry/regtest"
)

func testRegistry(t *testing.T) (url, mbox string) {
	s := regtest.Start(t, nil)
	return s.URL, s.MBox
}

// mailReader answers the token prompt with the token found in the mbox:
// the person reading their mail.
type mailReader struct {
	mbox string
	done bool
}

func (m *mailReader) Read(p []byte) (int, error) {
	if m.done {
		return 0, io.EOF
	}
	f, err := os.Open(m.mbox)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	toks, err := registry.TokensFromMbox(f)
	if err != nil || len(toks) == 0 {
		return 0, io.EOF
	}
	m.done = true
	return copy(p, toks[len(toks)-1].Token+"\n"), nil
}

func TestConf(t *testing.T) {
	url, mbox := testRegistry(t)
	ctx := context.Background()
	dir := t.TempDir()
	var out strings.Builder
	if err := run(ctx, []string{"--registry", url, "-d", dir, "--email", "me@example.com", "-r", "O", "lab"}, &mailReader{mbox: mbox}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Your subnet: 2001:db8:42::/64 (CN=0/16)") {
		t.Errorf("output:\n%s", out.String())
	}
	id, err := identity.Load(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key"), nowForTest())
	if err != nil {
		t.Fatal(err)
	}
	if id.Cert.Subject.Organization[0] != "lab" {
		t.Errorf("subject %v", id.Cert.Subject)
	}
	// CA only, with a matching fingerprint.
	fp, _ := identity.Fingerprint(id.CA.Cert, "sha1")
	d2 := t.TempDir()
	if err := run(ctx, []string{"--registry", url, "-d", d2, "--ca-only", "--fingerprint", "sha1:" + hexs(fp)}, strings.NewReader(""), io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d2, "cert.key")); !os.IsNotExist(err) {
		t.Error("--ca-only generated a key")
	}
	var help strings.Builder
	if err := run(ctx, []string{"--help"}, strings.NewReader(""), &help); err != nil || !strings.Contains(help.String(), "--fingerprint") {
		t.Errorf("--help: %v\n%s", err, help.String())
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-d", d2}, "--registry"},
		{[]string{"--registry", url, "--anonymous", "--token", "x"}, "conflicts"},
		{[]string{"--registry", url, "-d", d2, "--anonymous", "-r", "CN", "x"}, "CN and serial"},
		{[]string{"--registry", url, "-d", d2, "--fingerprint", "sha1:" + strings.Repeat("00", 20)}, "fingerprint does not match"},
		{[]string{"--registry", url, "-d", d2, "--token", "nosuchtk"}, "invalid or expired token"},
		{[]string{"--registry", url, "-d", d2}, "no answer on standard input"},
		{[]string{"--registry", "http://127.0.0.1:1/", "-d", d2, "--anonymous"}, "cannot reach the registry"},
		{[]string{"--registry", url, "-d", filepath.Join(dir, "cert.crt"), "--anonymous"}, "not writable"},
	} {
		err := run(ctx, tc.args, strings.NewReader(""), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

func hexs(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteString(strings.ToLower(string("0123456789ABCDEF"[c>>4]) + string("0123456789ABCDEF"[c&15])))
	}
	return sb.String()
}

func nowForTest() time.Time { return time.Now() }
