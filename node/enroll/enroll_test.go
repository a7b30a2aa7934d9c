package enroll_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/enroll"
	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
	"re6st-tui/node/regclient"
	"re6st-tui/node/registry"
	"re6st-tui/node/registry/regtest"
)

func testCA() *idtest.CA { return idtest.Small() }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func startRegistry(t *testing.T, mod func(*registry.Config)) (*registry.Registry, string, string) {
	s := regtest.Start(t, mod)
	return s.Registry, s.URL, s.MBox
}

func TestAnonymousEnrollment(t *testing.T) {
	_, url, _ := startRegistry(t, nil)
	ctx := context.Background()
	dir := t.TempDir()
	e, err := enroll.New(url, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.FetchCA(ctx); err != nil {
		t.Fatal(err)
	}
	fp, err := e.Fingerprint("sha256")
	if err != nil || e.CheckFingerprint(fp) != nil {
		t.Fatalf("fingerprint %s: %v", fp, err)
	}
	if err := e.CheckFingerprint("sha256:" + strings.Repeat("00", 32)); !errors.Is(err, identity.ErrFingerprintMismatch) {
		t.Errorf("wrong fingerprint: %v", err)
	}
	if err := e.WriteCA(); err != nil {
		t.Fatal(err)
	}
	if err := e.PrepareKey(); err != nil || e.KeyReused {
		t.Fatalf("key: %v reused=%v", err, e.KeyReused)
	}
	subj, err := e.Subject([]identity.Attr{{Key: "title", Value: "test1"}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := e.RequestCertificate(ctx, "", subj, "")
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "0/20" {
		t.Errorf("CN %s", cert.Subject.CommonName)
	}
	if w, err := e.WriteConf("FR,EU"); !w || err != nil {
		t.Fatalf("conf: %v %v", w, err)
	}
	if w, _ := e.WriteConf(""); w {
		t.Error("existing re6stnet.conf overwritten")
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "re6stnet.conf"))
	if !strings.Contains(string(conf), "registry "+url+"\nca ca.crt\ncert cert.crt\nkey cert.key\ncountry FR\n") {
		t.Errorf("conf:\n%s", conf)
	}
	st, _ := os.Stat(filepath.Join(dir, "cert.key"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode())
	}
	id, err := identity.Load(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt"), filepath.Join(dir, "cert.key"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, _ := e.Result()
	if res.Subnet.String() != "2001:db8:42::/68" || id.Addr != res.Addr {
		t.Errorf("result %+v, identity %v", res, id.Addr)
	}
	// Enrolling again reuses the key and keeps the subject fields.
	e2, _ := enroll.New(url, dir)
	e2.FetchCA(ctx)
	if err := e2.PrepareKey(); err != nil || !e2.KeyReused {
		t.Fatalf("reuse: %v", err)
	}
	subj2, _ := e2.Subject(nil)
	c2, err := e2.RequestCertificate(ctx, "", subj2, "")
	if err != nil {
		t.Fatal(err)
	}
	attrs := identity.SubjectAttrs(c2)
	if len(attrs) == 0 || attrs[0] != (identity.Attr{Key: "title", Value: "test1"}) || c2.Subject.CommonName == cert.Subject.CommonName {
		t.Errorf("second subject %s", c2.Subject)
	}
	if _, err := e2.Subject([]identity.Attr{{Key: "CN", Value: "x"}}); !errors.Is(err, enroll.ErrReservedField) {
		t.Errorf("CN in subject: %v", err)
	}
}

func TestTokenEnrollmentAndErrors(t *testing.T) {
	reg, url, mbox := startRegistry(t, func(c *registry.Config) { c.AnonymousPrefixLength = 0 })
	ctx := context.Background()
	dir := t.TempDir()
	e, _ := enroll.New(url, dir)
	e.FetchCA(ctx)
	if err := e.PrepareKey(); err != nil {
		t.Fatal(err)
	}
	subj, _ := e.Subject(nil)
	if _, err := e.RequestCertificate(ctx, "", subj, ""); !errors.Is(err, enroll.ErrRegistrationDisabled) {
		t.Errorf("anonymous disabled: %v", err)
	}
	if _, err := e.RequestCertificate(ctx, "abcdefgh", subj, ""); !errors.Is(err, enroll.ErrInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
	if err := e.RequestToken(ctx, "me@example.com"); err != nil {
		t.Fatal(err)
	}
	tok := readToken(t, mbox)
	// Directory not writable: refused before the token is spent.
	blocked := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocked, nil, 0o644)
	eb, _ := enroll.New(url, blocked)
	eb.CA, eb.Key = e.CA, e.Key
	if _, err := eb.RequestCertificate(ctx, tok, subj, ""); !errors.Is(err, enroll.ErrDirNotWritable) {
		t.Fatalf("unwritable dir: %v", err)
	}
	if ok, _ := reg.IsToken(tok); !ok {
		t.Fatal("token spent although the certificate could not be written")
	}
	cert, err := e.RequestCertificate(ctx, tok, subj, "")
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "0/16" {
		t.Errorf("CN %s", cert.Subject.CommonName)
	}
	// Unreachable registry.
	dead, _ := enroll.New("http://127.0.0.1:1/", dir)
	var ue *regclient.UnreachableError
	if _, err := dead.FetchCA(ctx); !errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot reach the registry") {
		t.Errorf("unreachable: %v", err)
	}
	// Mail disabled.
	_, url2, _ := startRegistry(t, func(c *registry.Config) { c.MailHost = "" })
	e3, _ := enroll.New(url2, t.TempDir())
	if err := e3.RequestToken(ctx, "x@example.com"); !errors.Is(err, enroll.ErrRegistrationDisabled) {
		t.Errorf("mail disabled: %v", err)
	}
}

func readToken(t *testing.T, mbox string) string {
	t.Helper()
	f, err := os.Open(mbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	toks, err := registry.TokensFromMbox(f)
	if err != nil || len(toks) != 1 || toks[0].To != "me@example.com" {
		t.Fatalf("mbox tokens %v %v", toks, err)
	}
	return toks[0].Token
}

type fakeReg struct {
	renew, ca func() ([]byte, error)
	calls     int
}

func (f *fakeReg) RenewCertificate(context.Context) ([]byte, error) { f.calls++; return f.renew() }
func (f *fakeReg) GetCa(context.Context) ([]byte, error)            { return f.ca() }

func TestRenewalRules(t *testing.T) {
	clk := &clock{t: time.Now()}
	reg, _, _ := startRegistry(t, func(c *registry.Config) { c.Now = clk.Now })
	key := idtest.Key(1024, 1)
	subj, _ := identity.BuildSubject(nil)
	csr, _ := identity.CreateCSR(key, subj)
	pemText, err := reg.RequestCertificate(registry.CertRequest{CSR: csr})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := identity.ParseCertPEM(pemText)
	id, err := identity.New(testCA().CA, cert, key, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caPath, certPath := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "cert.crt")
	os.WriteFile(certPath, pemText, 0o644)
	os.WriteFile(caPath, testCA().PEM, 0o644)
	fr := &fakeReg{
		renew: func() ([]byte, error) { return reg.RenewCertificate(id.Prefix) },
		ca:    func() ([]byte, error) { return testCA().PEM, nil },
	}
	ctx := context.Background()
	// Fresh: nothing to do; next check at notAfter − 30 days.
	nid, renewed, next, err := enroll.RenewIdentity(ctx, clk.Now(), id, caPath, certPath, fr, nil)
	if renewed || err != nil || !next.Equal(identity.RenewAt(cert)) || fr.calls != 0 {
		t.Fatalf("fresh: renewed=%v next=%v err=%v calls=%d", renewed, next, err, fr.calls)
	}
	// Revoked serial: forced, new serial, same notAfter.
	if err := reg.Revoke(cert.SerialNumber.String()); err != nil {
		t.Fatal(err)
	}
	nid, renewed, _, err = enroll.RenewIdentity(ctx, clk.Now(), id, caPath, certPath, fr, reg.CRL())
	if !renewed || err != nil || nid.Cert.SerialNumber.Cmp(cert.SerialNumber) == 0 || !nid.Cert.NotAfter.Equal(cert.NotAfter) {
		t.Fatalf("revoked: renewed=%v err=%v", renewed, err)
	}
	onDisk, _ := os.ReadFile(certPath)
	if string(onDisk) != string(identity.EncodeCertPEM(nid.Cert)) {
		t.Error("renewed certificate not written")
	}
	// 29 days before expiry: renewed for a year from now.
	clk.Set(nid.Cert.NotAfter.Add(-29 * 24 * time.Hour))
	id2, renewed, next, err := enroll.RenewIdentity(ctx, clk.Now(), nid, caPath, certPath, fr, reg.CRL())
	if !renewed || err != nil || id2.Cert.NotAfter.Sub(clk.Now()) < 364*24*time.Hour {
		t.Fatalf("due: renewed=%v err=%v notAfter=%v", renewed, err, id2.Cert.NotAfter)
	}
	if !next.Equal(identity.RenewAt(id2.Cert)) {
		t.Errorf("next %v", next)
	}
	// A registry that fails: retry in 24 h, nothing written.
	clk.Set(id2.Cert.NotAfter.Add(-time.Hour))
	fr.renew = func() ([]byte, error) { return nil, errors.New("boom") }
	_, renewed, next, err = enroll.RenewIdentity(ctx, clk.Now(), id2, caPath, certPath, fr, nil)
	if renewed || err == nil || !next.Equal(clk.Now().Add(enroll.RetryDelay)) {
		t.Fatalf("failing registry: renewed=%v next=%v err=%v", renewed, next, err)
	}
	// Same PEM answered: also a failure.
	fr.renew = func() ([]byte, error) { return identity.EncodeCertPEM(id2.Cert), nil }
	if _, renewed, _, err = enroll.RenewIdentity(ctx, clk.Now(), id2, caPath, certPath, fr, nil); renewed || err == nil {
		t.Fatalf("same PEM: renewed=%v err=%v", renewed, err)
	}
}
