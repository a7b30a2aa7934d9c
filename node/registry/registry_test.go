package registry

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
)

func TestSchemaExact(t *testing.T) {
	r := openTest(t, testConfig(t.TempDir(), testCA()))
	want := map[string]string{
		"config": "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)",
		"token":  "CREATE TABLE token (\n  token TEXT PRIMARY KEY NOT NULL,\n  email TEXT NOT NULL,\n  prefix_len INTEGER NOT NULL,\n  date INTEGER NOT NULL)",
		"cert":   "CREATE TABLE cert (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  email TEXT,\n  cert TEXT)",
		"crl":    "CREATE TABLE crl (\n  serial INTEGER PRIMARY KEY NOT NULL,\n  date INTEGER NOT NULL)",
	}
	for name, sql := range want {
		var got string
		if err := r.db.QueryRow("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != sql {
			t.Errorf("table %s: %q", name, got)
		}
	}
	// Fresh network: babel_hmac0 stored as a 16-byte BLOB.
	var typ string
	var n int
	if err := r.db.QueryRow("SELECT typeof(value), length(value) FROM config WHERE name='babel_hmac0'").Scan(&typ, &n); err != nil || typ != "blob" || n != 16 {
		t.Errorf("babel_hmac0: %s %d %v", typ, n, err)
	}
}

func TestRefusesForeignSchema(t *testing.T) {
	cfg := testConfig(t.TempDir(), testCA())
	r := openTest(t, cfg)
	r.db.Exec("DROP TABLE crl")
	r.db.Exec("CREATE TABLE crl (serial INTEGER, date INTEGER)")
	r.Close()
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "unexpected schema") {
		t.Fatalf("foreign schema: %v", err)
	}
}

func TestCanonicalConfig(t *testing.T) {
	r := openTest(t, testConfig(t.TempDir(), testCA()))
	r.prefix = "0000000000000000"
	got := string(dumpsSorted(r.canonicalConfig()))
	want := `{"babel_default": "max-rtt-penalty 5000 rtt-max 500 rtt-decay 125", "client_count": 10, "crl": [], "encrypt": false, "hello": 15, "max_clients": 20, "min_protocol": 1, "protocol": 10, "registry_prefix": "0000000000000000", "tunnel_refresh": 300}`
	if got != want {
		t.Fatalf("canonical config\n got %s\nwant %s", got, want)
	}
}

func TestPyJSON(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"é\"\\\n\x01\x7f😀", `"\u00e9\"\\\n\u0001\u007f\ud83d\ude00"`},
		{[]int64{1, 2}, "[1, 2]"},
		{[]kv{{"b", true}, {"a", nil}}, `{"b": true, "a": null}`},
		{1700000000.5, "1700000000.5"},
		{1700000000.0, "1700000000.0"},
		{1e16, "1e+16"},
		{1.5e-5, "1.5e-05"},
		{[]string{"FR"}, `["FR"]`},
	}
	for _, c := range cases {
		if got := string(dumps(c.v)); got != c.want {
			t.Errorf("dumps(%v) = %s, want %s", c.v, got, c.want)
		}
	}
	if got := string(dumpsSorted([]kv{{"b", 1}, {"a", 2}})); got != `{"a": 2, "b": 1}` {
		t.Errorf("sorted: %s", got)
	}
}

func TestIssueAndVersionRules(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, testCA())
	r := openTest(t, cfg)
	if v, _ := r.Version(); v != 0 {
		t.Fatalf("new registry version %d", v)
	}
	p0, _ := mustIssue(t, r, "", nodeKey(0))
	if r.Prefix() != p0 || p0 != "0000000000000000" {
		t.Fatalf("registry prefix %q, first %q", r.Prefix(), p0)
	}
	if v, _ := r.Version(); v != 1 {
		t.Fatalf("version after first issuance %d", v)
	}
	p1, pem1 := mustIssue(t, r, "", nodeKey(1))
	if p1 == p0 {
		t.Fatal("same prefix twice")
	}
	c1, _ := identity.ParseCertPEM(pem1)
	if err := identity.VerifyCert(testCA().Cert, c1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if c1.SerialNumber.Int64() != 2 || c1.Subject.SerialNumber != "1" {
		t.Errorf("serial %v subject serial %q", c1.SerialNumber, c1.Subject.SerialNumber)
	}
	r.Close()
	// A restart does not bump the version.
	r = openTest(t, cfg)
	if v, _ := r.Version(); v != 1 {
		t.Fatalf("version after restart %d", v)
	}
	// Revoke by serial keeps the row, bumps the version, lists the serial.
	if err := r.Revoke("2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Version(); v != 2 || len(r.CRL()) != 1 || r.CRL()[0] != 2 {
		t.Fatalf("after revoke: version %d crl %v", func() uint64 { v, _ := r.Version(); return v }(), r.CRL())
	}
	// The revoked owner gets a new serial with the same notAfter.
	pem, err := r.RenewCertificate(p1)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := identity.ParseCertPEM(pem)
	if c.SerialNumber.Int64() != 3 || !c.NotAfter.Equal(c1.NotAfter) || c.Subject.CommonName != c1.Subject.CommonName {
		t.Errorf("reissue: serial %v notAfter %v (was %v)", c.SerialNumber, c.NotAfter, c1.NotAfter)
	}
	// Not due and not revoked: the stored PEM unchanged.
	again, _ := r.RenewCertificate(p1)
	if !bytes.Equal(again, pem) {
		t.Error("renewal of a fresh certificate changed it")
	}
	if err := r.Revoke("99"); statusOf(err) != 500 {
		t.Errorf("unknown serial: %v", err)
	}
	if err := r.Revoke("77/16"); statusOf(err) != 404 {
		t.Errorf("unknown CN: %v", err)
	}
	if err := r.Revoke(identity.CN(p1)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RenewCertificate(p1); statusOf(err) != 404 {
		t.Errorf("renew after revoke by CN: %v", err)
	}
	// The freed prefix is handed out again.
	p2, _ := mustIssue(t, r, "", nodeKey(2))
	if p2 != p1 {
		t.Errorf("freed prefix %s not reused (got %s)", p1, p2)
	}
	checkMirror(t, r)
}

func TestRenewDue(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Now = clk.Now
	r := openTest(t, cfg)
	p, pem := mustIssue(t, r, "", nodeKey(0))
	clk.Add(identity.CertLifetime - identity.RenewPeriod + time.Hour)
	got, err := r.RenewCertificate(p)
	if err != nil || bytes.Equal(got, pem) {
		t.Fatalf("due renewal: %v, unchanged=%v", err, bytes.Equal(got, pem))
	}
	c, _ := identity.ParseCertPEM(got)
	if d := c.NotAfter.Sub(clk.Now()); d < identity.CertLifetime-time.Second || d > identity.CertLifetime+time.Second {
		t.Errorf("renewed for %v", d)
	}
	if s, _ := identity.SubjectSerial(c); s != 0 {
		t.Errorf("subject serial changed to %d", s)
	}
}

func TestSubjectSerialReuse(t *testing.T) {
	r := openTest(t, testConfig(t.TempDir(), testCA()))
	mustIssue(t, r, "", nodeKey(0))
	p1, _ := mustIssue(t, r, "", nodeKey(1))
	mustIssue(t, r, "", nodeKey(2))
	if err := r.Revoke(identity.CN(p1)); err != nil {
		t.Fatal(err)
	}
	_, pem := mustIssue(t, r, "", nodeKey(3))
	c, _ := identity.ParseCertPEM(pem)
	if c.Subject.SerialNumber != "1" {
		t.Errorf("subject serial %q, want the freed 1", c.Subject.SerialNumber)
	}
	_, pem = mustIssue(t, r, "", nodeKey(4))
	c, _ = identity.ParseCertPEM(pem)
	if c.Subject.SerialNumber != "3" {
		t.Errorf("subject serial %q, want 3", c.Subject.SerialNumber)
	}
}

func TestTokens(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, testCA())
	cfg.MailHost = filepath.Join(dir, "mbox")
	cfg.AnonymousPrefixLength = 0
	r := openTest(t, cfg)
	if err := r.RequestToken("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := r.RequestToken("b@example.com"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cfg.MailHost)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := TokensFromMbox(f)
	f.Close()
	if err != nil || len(toks) != 2 || toks[0].To != "a@example.com" || toks[1].To != "b@example.com" {
		t.Fatalf("tokens %v %v", toks, err)
	}
	if ok, _ := r.IsToken(toks[0].Token); !ok {
		t.Fatal("mailed token not stored")
	}
	// Anonymous disabled: 403.
	if _, err := r.RequestCertificate(CertRequest{CSR: csr(t, nodeKey(0))}); statusOf(err) != http.StatusForbidden {
		t.Errorf("anonymous with length 0: %v", err)
	}
	// Unknown token: no certificate, no error (re6st's 204).
	if pem, err := r.RequestCertificate(CertRequest{Token: "zzzzzzzz", CSR: csr(t, nodeKey(0))}); pem != nil || err != nil {
		t.Errorf("unknown token: %v %v", pem, err)
	}
	p, _ := mustIssue(t, r, toks[0].Token, nodeKey(0))
	if ok, _ := r.IsToken(toks[0].Token); ok {
		t.Error("token not consumed")
	}
	if cn, ok := r.NodePrefix("a@example.com"); !ok || cn != identity.CN(p) {
		t.Errorf("NodePrefix = %s %v", cn, ok)
	}
	if _, err := r.AddToken("c@example.com", toks[1].Token, false); statusOf(err) != http.StatusConflict {
		t.Errorf("duplicate token: %v", err)
	}
	cfg2 := cfg
	cfg2.DB = filepath.Join(dir, "other.db")
	cfg2.MailHost = ""
	r2 := openTest(t, cfg2)
	if err := r2.RequestToken("x@example.com"); statusOf(err) != http.StatusForbidden {
		t.Errorf("requestToken without mailhost: %v", err)
	}
}

func TestHousekeepingExpiry(t *testing.T) {
	clk := &fakeClock{t: time.Now()}
	cfg := testConfig(t.TempDir(), testCA())
	cfg.Now = clk.Now
	cfg.GracePeriod = 24 * time.Hour
	cfg.PrefixLength = 16
	r := openTest(t, cfg)
	mustIssue(t, r, "", nodeKey(0)) // registry node
	tok, _ := r.AddToken("x@example.com", "", true)
	clk.Add(2 * 24 * time.Hour)
	if err := r.Housekeep(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.IsToken(tok); ok {
		t.Error("token older than the grace period kept")
	}
	mustIssue(t, r, "", nodeKey(1))
	p2, _ := mustIssue(t, r, "", nodeKey(2))
	rows := func() (all, certs int) {
		r.db.QueryRow("SELECT count(*), count(cert) FROM cert").Scan(&all, &certs)
		return
	}
	before, _ := rows()
	// Past notAfter + grace for the third node only.
	r.mu.Lock()
	r.certs[p2].notAfter = clk.Now().Add(-48 * time.Hour)
	r.mu.Unlock()
	if err := r.Housekeep(); err != nil {
		t.Fatal(err)
	}
	after, certs := rows()
	if certs != 2 {
		t.Errorf("%d certificates left, want 2", certs)
	}
	// Its block merged with its free sibling: one row less.
	if after != before-1 {
		t.Errorf("cert rows %d → %d, want a merge", before, after)
	}
	checkMirror(t, r)
	if got, _ := mustIssue(t, r, "", nodeKey(3)); got != p2 {
		t.Errorf("freed block not reused: %s, want %s", got, p2)
	}
	// Registry node past grace: refuse (clock problem).
	r.mu.Lock()
	r.certs[r.prefix].notAfter = clk.Now().Add(-48 * time.Hour)
	r.mu.Unlock()
	if err := r.Housekeep(); !errors.Is(err, ErrOwnCertExpired) {
		t.Errorf("own expiry: %v", err)
	}
}

func TestHMACRotation(t *testing.T) {
	r := openTest(t, testConfig(t.TempDir(), testCA()))
	mustIssue(t, r, "", nodeKey(0))
	k0 := r.hmac[0]
	state := func() string {
		var s []string
		for i := range r.hmac {
			switch {
			case !r.hmacSet[i]:
				s = append(s, "-")
			case len(r.hmac[i]) == 0:
				s = append(s, "empty")
			default:
				s = append(s, "k")
			}
		}
		return strings.Join(s, ",")
	}
	steps := []string{"k,k,-", "-,k,k", "k,-,-"}
	v0, _ := r.Version()
	for i, want := range steps {
		if err := r.UpdateHMAC(); err != nil {
			t.Fatal(err)
		}
		if got := state(); got != want {
			t.Fatalf("step %d: %s, want %s", i, got, want)
		}
		if (r.validUntil != 0) != (i == 0) {
			t.Errorf("step %d: valid_until %v", i, r.validUntil)
		}
	}
	if v, _ := r.Version(); v != v0+3 {
		t.Errorf("version %d after 3 rotations from %d", v, v0)
	}
	if bytes.Equal(r.hmac[0], k0) {
		t.Error("sign key did not change")
	}
	// Legacy network without keys.
	for i := range r.hmac {
		r.dropHMAC(r.db, i)
	}
	r.UpdateHMAC()
	if got := state(); got != "-,k,empty" {
		t.Fatalf("legacy init: %s", got)
	}
	body, err := r.networkConfigFor(func(b []byte) ([]byte, error) { return b, nil })
	if err != nil {
		t.Fatal(err)
	}
	nc := inflate(t, body)
	if nc["babel_hmac_accept"] != "" || nc["babel_hmac_sign"] == "" {
		t.Errorf("legacy netconf keys: %v %v", nc["babel_hmac_sign"], nc["babel_hmac_accept"])
	}
	r.UpdateHMAC()
	if got := state(); got != "k,-,-" {
		t.Fatalf("legacy step 2: %s", got)
	}
}

func inflate(t *testing.T, b []byte) map[string]any {
	t.Helper()
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(zr)
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestQueryParsing(t *testing.T) {
	m, err := ParseQuery("a=1&b=x+y%2Fz&a=2&c=&d=%zz")
	if err != nil || m["a"] != "2" || m["b"] != "x y/z" || m["c"] != "" || m["d"] != "%zz" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"a=1&&b=2", "a", "&"} {
		if _, err := ParseQuery(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := splitTarget("/a/b?x=1"); err == nil {
		t.Error("two slashes accepted")
	}
	if q := EncodeQuery([]string{"client_prefix", "protocol"}, map[string]string{"client_prefix": "0000000011111111", "protocol": "10"}); q != "client_prefix=0000000011111111&protocol=10" {
		t.Errorf("encode %s", q)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"cn=0101&x=%2F", "a=1&&b", "req=-----BEGIN+CERTIFICATE+REQUEST-----%0A", "%", "a=%e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		m, err := ParseQuery(q)
		if err != nil {
			return
		}
		for k, v := range m {
			if !isValidUTF8(k) || !isValidUTF8(v) {
				t.Fatalf("invalid UTF-8 in %q=%q", k, v)
			}
		}
	})
}

func FuzzTokensFromMbox(f *testing.F) {
	f.Add([]byte("From MAILER-DAEMON Mon Jan  1 00:00:00 2026\nTo: a@b\n\n" + tokenLine + "abcdefgh\n\n"))
	f.Add([]byte("From x\n\nFrom y\nTo: z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		toks, err := TokensFromMbox(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, tk := range toks {
			if !validToken(tk.Token) {
				t.Fatalf("invalid token %q", tk.Token)
			}
		}
	})
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte("0000000000000111\x00\x01198.51.100.9,1194,tcp,FR"))
	f.Add([]byte("\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, _, err := ParseReply(b)
		if err == nil && identity.CheckBits(p) != nil {
			t.Fatalf("accepted prefix %q", p)
		}
	})
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }

// FuzzServeHTTP feeds arbitrary request-targets and headers to the
// handler: it must answer with a status, never panic.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []string{"/getCa", "/hello?client_prefix=0&protocol=x", "/isToken?token=a&token=b",
		"/getNetworkConfig?cn=0000", "/revoke?cn_or_serial=1%2F16", "/requestCertificate?token=&req=x&location=&ip="} {
		f.Add(s, "AAAA")
	}
	cfg := testConfig(f.TempDir(), testCA())
	r, err := Open(cfg)
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	f.Fuzz(func(t *testing.T, target, mac string) {
		req, err := http.NewRequest("GET", "http://registry/", nil)
		if err != nil {
			return
		}
		req.RequestURI = target
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set(HMACHeader, mac)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
	})
}
