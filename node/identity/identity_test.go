package identity_test

import (
	"crypto/x509"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/identity/idtest"
)

func TestNetworkFromSerial(t *testing.T) {
	cases := []struct {
		serial string
		net    string
	}{
		{"120010db80042", "2001:db8:42::/48"},
		{"120010db80043", "2001:db8:43::/48"},
		{"1fd", "fd00::/8"},
	}
	for _, c := range cases {
		s, _ := new(big.Int).SetString(c.serial, 16)
		bits, err := identity.NetworkFromSerial(s)
		if err != nil {
			t.Fatal(err)
		}
		p, err := identity.Subnet(bits, "")
		if err != nil || p.String() != c.net {
			t.Errorf("serial %s → %v %v, want %s", c.serial, p, err, c.net)
		}
		if got := identity.SerialForNetwork(netip.MustParsePrefix(c.net)); got.Cmp(s) != 0 {
			t.Errorf("SerialForNetwork(%s) = %x", c.net, got)
		}
	}
	// /45: N need not be a multiple of 4.
	p := netip.MustParsePrefix("2001:db8::/45")
	bits, _ := identity.NetworkFromSerial(identity.SerialForNetwork(p))
	if len(bits) != 45 {
		t.Errorf("/45 network decoded to %d bits", len(bits))
	}
	if _, err := identity.NetworkFromSerial(big.NewInt(0)); err == nil {
		t.Error("serial 0 accepted")
	}
}

func TestCN(t *testing.T) {
	cases := []struct{ prefix, cn string }{
		{"0000000000000001", "1/16"},
		{"0000000000000000", "0/16"},
		{"0000000000000010" + strings.Repeat("0", 64), "36893488147419103232/80"},
		{"1", "1/1"},
	}
	for _, c := range cases {
		if got := identity.CN(c.prefix); got != c.cn {
			t.Errorf("CN(%s) = %s, want %s", c.prefix, got, c.cn)
		}
		p, err := identity.PrefixFromCN(c.cn)
		if err != nil || p != c.prefix {
			t.Errorf("PrefixFromCN(%s) = %s, %v", c.cn, p, err)
		}
	}
	for _, bad := range []string{"", "1", "x/16", "5/2", "-1/16", "1/0", "1/129", "+1/4"} {
		if _, err := identity.PrefixFromCN(bad); err == nil {
			t.Errorf("PrefixFromCN(%q) accepted", bad)
		}
	}
}

func TestAddresses(t *testing.T) {
	network := identity.BitsFromAddr(netip.MustParseAddr("2001:db8:42::"), 48)
	s, _ := identity.Subnet(network, "0000000000000001")
	if s.String() != "2001:db8:42:1::/64" || identity.NodeAddr(s).String() != "2001:db8:42:1::1" {
		t.Errorf("subnet %v node %v", s, identity.NodeAddr(s))
	}
	full := "0000000000000010" + strings.Repeat("0", 64)
	s, _ = identity.Subnet(network, full)
	if s.Bits() != 128 || identity.NodeAddr(s).String() != "2001:db8:42:2::" {
		t.Errorf("/128: %v %v", s, identity.NodeAddr(s))
	}
}

func TestCryptoRoundTrip(t *testing.T) {
	k := idtest.Key(1024, 0)
	sig, err := identity.Sign(k, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if identity.Verify(&k.PublicKey, []byte("data"), sig) != nil {
		t.Error("good signature refused")
	}
	if identity.Verify(&k.PublicKey, []byte("datA"), sig) == nil {
		t.Error("bad signature accepted")
	}
	c, err := identity.Encrypt(&k.PublicKey, []byte("secret"))
	if err != nil || len(c) != len(sig) {
		t.Fatalf("encrypt: %v (len %d vs %d)", err, len(c), len(sig))
	}
	m, err := identity.Decrypt(k, c)
	if err != nil || string(m) != "secret" {
		t.Errorf("decrypt: %q %v", m, err)
	}
}

func testIssued(t *testing.T, v1CA bool) {
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, v1CA)
	key := idtest.Key(1024, 1)
	now := time.Now()
	cert := ca.IssueFor(key, "0000000000000001", 7, now.Add(-time.Minute))
	if cert.Version != 1 || len(cert.Extensions) != 0 {
		t.Errorf("issued cert version %d with %d extensions, want v1 without", cert.Version, len(cert.Extensions))
	}
	if cert.SignatureAlgorithm != x509.SHA512WithRSA {
		t.Errorf("signature algorithm %v", cert.SignatureAlgorithm)
	}
	if err := identity.VerifyCert(ca.Cert, cert, now); err != nil {
		t.Fatal(err)
	}
	if err := identity.VerifyCert(ca.Cert, cert, now.Add(400*24*time.Hour)); err == nil {
		t.Error("expired cert accepted")
	}
	if err := identity.VerifyOwn(ca.Cert, cert, now.Add(400*24*time.Hour)); err != nil {
		t.Errorf("own expired cert refused: %v", err)
	}
	other := idtest.NewCA(netip.MustParsePrefix("2001:db8:43::/48"), 1024, v1CA)
	other.Priv = idtest.Key(1024, 2)
	forged := other.IssueFor(key, "0000000000000001", 8, now)
	if err := identity.VerifyCert(ca.Cert, forged, now); err == nil {
		t.Error("certificate signed by another key accepted")
	}
	id, err := identity.New(ca.CA, cert, key, now)
	if err != nil {
		t.Fatal(err)
	}
	if id.Prefix != "0000000000000001" || id.Addr.String() != "2001:db8:42:1::1" {
		t.Errorf("identity %s %s", id.Prefix, id.Addr)
	}
	if n, ok := identity.SubjectSerial(cert); !ok || n != 0 {
		t.Errorf("subject serial %d %v", n, ok)
	}
	if _, err := identity.New(ca.CA, cert, idtest.Key(1024, 2), now); err == nil {
		t.Error("mismatched key accepted")
	}
}

func TestIssuedV3CA(t *testing.T) { testIssued(t, false) }
func TestIssuedV1CA(t *testing.T) { testIssued(t, true) }

func TestSubjectForPrefix(t *testing.T) {
	raw, err := identity.BuildSubject([]identity.Attr{{"title", "test1"}, {"CN", "old"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := identity.SubjectForPrefix(raw, strings.Repeat("0", 20), 0)
	if err != nil {
		t.Fatal(err)
	}
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false)
	c, err := identity.Issue(ca.Cert, ca.Priv, identity.Template{Serial: big.NewInt(1), RawSubject: got,
		RawSPKI: mustSPKI(t), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Subject.String(); s != "CN=0/20,SERIALNUMBER=0,title=test1" && !strings.Contains(s, "CN=0/20") {
		t.Errorf("subject %s", s)
	}
	attrs := identity.SubjectAttrs(c)
	if len(attrs) != 3 || attrs[0] != (identity.Attr{"title", "test1"}) || attrs[1].Key != "CN" || attrs[2].Key != "serialNumber" {
		t.Errorf("attrs %v", attrs)
	}
	if _, err := identity.BuildSubject([]identity.Attr{{"bogus", "x"}}); err == nil {
		t.Error("unknown field accepted")
	}
}

func mustSPKI(t *testing.T) []byte {
	b, err := x509.MarshalPKIXPublicKey(&idtest.Key(1024, 1).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFingerprint(t *testing.T) {
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false)
	fp, _ := identity.Fingerprint(ca.Cert, "sha256")
	spec := "sha256:" + strings.ToUpper(hexs(fp))
	if err := identity.CheckFingerprint(ca.Cert, spec); err != nil {
		t.Fatal(err)
	}
	fp[0] ^= 1
	if err := identity.CheckFingerprint(ca.Cert, "sha256:"+hexs(fp)); err != identity.ErrFingerprintMismatch {
		t.Errorf("wrong fingerprint: %v", err)
	}
	for _, bad := range []string{"sha256", "nope:00", "sha256:zz", "sha1:00"} {
		if err := identity.CheckFingerprint(ca.Cert, bad); err == nil || err == identity.ErrFingerprintMismatch {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func hexs(b []byte) string {
	const d = "0123456789abcdef"
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(d[c>>4])
		sb.WriteByte(d[c&15])
	}
	return sb.String()
}

func TestLoadFiles(t *testing.T) {
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, false)
	key := idtest.Key(1024, 1)
	dir := t.TempDir()
	kp, _ := identity.EncodeKeyPEM(key)
	write := func(n string, b []byte) string {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert := ca.IssueFor(key, "0000000000000011", 1, time.Now())
	id, err := identity.Load(write("ca.crt", ca.PEM), write("cert.crt", identity.EncodeCertPEM(cert)), write("cert.key", kp), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if identity.CN(id.Prefix) != "3/16" {
		t.Errorf("prefix %s", id.Prefix)
	}
	if _, err := identity.Load(filepath.Join(dir, "missing"), "", "", time.Now()); err == nil || !strings.Contains(err.Error(), "re6st-conf") {
		t.Errorf("missing CA: %v", err)
	}
}

func FuzzParseCertPEM(f *testing.F) {
	ca := idtest.NewCA(netip.MustParsePrefix("2001:db8:42::/48"), 1024, true)
	f.Add(ca.PEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := identity.ParseCertPEM(b)
		if err != nil {
			return
		}
		_ = identity.VerifyCert(ca.Cert, c, time.Now())
		_, _ = identity.PrefixFromCN(c.Subject.CommonName)
		_, _ = identity.NewCA(c)
	})
}

func FuzzParseCSRPEM(f *testing.F) {
	key := idtest.Key(1024, 1)
	subj, _ := identity.BuildSubject([]identity.Attr{{"O", "x"}})
	csr, _ := identity.CreateCSR(key, subj)
	f.Add(csr)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := identity.ParseCSRPEM(b)
		if err != nil {
			return
		}
		_, _ = identity.SubjectForPrefix(r.RawSubject, "01", 3)
	})
}

func FuzzPrefixFromCN(f *testing.F) {
	for _, s := range []string{"1/16", "36893488147419103232/80", "0/1", "x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cn string) {
		p, err := identity.PrefixFromCN(cn)
		if err != nil {
			return
		}
		if back, err := identity.PrefixFromCN(identity.CN(p)); err != nil || back != p {
			t.Fatalf("%q → %q → %q", cn, p, back)
		}
	})
}
