package tunnels

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testPKI is a throw-away re6st CA: X.509 v1 certificates without
// extensions signed sha512WithRSA, as the registry issues them, the CA
// serial encoding the network (a 1 bit then the network bits).
type testPKI struct {
	dir    string
	caKey  *rsa.PrivateKey
	caName pkix.Name
	CA     string // path of the CA certificate
}

var oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}

// caSerial encodes network as re6st does: binary "1" followed by its bits.
func caSerial(network netip.Prefix) *big.Int {
	n := new(big.Int).SetBytes(network.Masked().Addr().AsSlice())
	n.Rsh(n, uint(128-network.Bits()))
	return n.SetBit(n, network.Bits(), 1)
}

var keyCache struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

// testKey returns the i-th RSA key of this test binary (2048 bits: OpenSSL's
// default security level refuses less); keys are made once and shared.
func testKey(t testing.TB, i int) *rsa.PrivateKey {
	keyCache.Lock()
	defer keyCache.Unlock()
	for len(keyCache.keys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		keyCache.keys = append(keyCache.keys, k)
	}
	return keyCache.keys[i]
}

func newPKI(t testing.TB, network netip.Prefix) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir(), caKey: testKey(t, 0), caName: pkix.Name{CommonName: "re6st test CA"}}
	der := p.sign(t, caSerial(network), p.caName, &p.caKey.PublicKey)
	p.CA = p.write(t, "ca.crt", "CERTIFICATE", der)
	return p
}

// Issue makes a certificate and key for cn with the given X.509 serial and
// returns their paths.
func (p *testPKI) Issue(t testing.TB, cn string, serial int64, key int) (cert, keyPath string) {
	t.Helper()
	k := testKey(t, key)
	name := pkix.Name{CommonName: cn, SerialNumber: "0"}
	der := p.sign(t, big.NewInt(serial), name, &k.PublicKey)
	base := filepath.Join(p.dir, "n"+big.NewInt(serial).String())
	cert = p.write(t, filepath.Base(base)+".crt", "CERTIFICATE", der)
	keyPath = p.write(t, filepath.Base(base)+".key", "PRIVATE KEY", must(x509.MarshalPKCS8PrivateKey(k)))
	return cert, keyPath
}

// sign builds a version 1 TBSCertificate by hand: Go's x509 package only
// writes v3 certificates.
func (p *testPKI) sign(t testing.TB, serial *big.Int, subject pkix.Name, pub *rsa.PublicKey) []byte {
	t.Helper()
	alg := pkix.AlgorithmIdentifier{Algorithm: oidSHA512WithRSA, Parameters: asn1.NullRawValue}
	spki := must(x509.MarshalPKIXPublicKey(pub))
	now := time.Now().UTC().Truncate(time.Second)
	tbs := struct {
		Serial   *big.Int
		Alg      pkix.AlgorithmIdentifier
		Issuer   asn1.RawValue
		Validity struct{ NotBefore, NotAfter time.Time }
		Subject  asn1.RawValue
		Key      asn1.RawValue
	}{Serial: serial, Alg: alg,
		Issuer:  asn1.RawValue{FullBytes: must(asn1.Marshal(p.caName.ToRDNSequence()))},
		Subject: asn1.RawValue{FullBytes: must(asn1.Marshal(subject.ToRDNSequence()))},
		Key:     asn1.RawValue{FullBytes: spki}}
	tbs.Validity.NotBefore, tbs.Validity.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	tbsDER := must(asn1.Marshal(tbs))
	sum := sha512.Sum512(tbsDER)
	sig := must(rsa.SignPKCS1v15(rand.Reader, p.caKey, crypto.SHA512, sum[:]))
	cert := struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
		Sig asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, alg, asn1.BitString{Bytes: sig, BitLength: len(sig) * 8}}
	der := must(asn1.Marshal(cert))
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("test CA made an unreadable certificate: %v", err)
	}
	if c.Version != 1 {
		t.Fatalf("test CA made a v%d certificate, want v1", c.Version)
	}
	return der
}

func (p *testPKI) write(t testing.TB, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// testDH returns 2048-bit DH parameters, made once with openssl and kept
// in the user's cache directory. They are DSA-style: safe primes take from
// seconds to minutes to find, these a second; OpenVPN accepts both.
func testDH(t testing.TB) string {
	t.Helper()
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "re6st-tui-test", "dsa-dh2048.pem")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp" + big.NewInt(int64(os.Getpid())).String()
	out, err := exec.Command("openssl", "dhparam", "-dsaparam", "-out", tmp, "2048").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl dhparam (install openssl): %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCASerialEncodesNetwork(t *testing.T) {
	for _, tt := range []struct {
		net  string
		want string
	}{
		{"2001:db8:42::/48", "120010db80042"},
		{"fd00::/8", "1fd"},
	} {
		if got := caSerial(netip.MustParsePrefix(tt.net)).Text(16); got != tt.want {
			t.Errorf("caSerial(%s) = %s, want %s", tt.net, got, tt.want)
		}
	}
}
