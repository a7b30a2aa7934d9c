package doctor

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"testing"
	"time"

	"re6st-tui/diag/system/systemtest"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// testCA makes a CA and a node certificate valid [notBefore, notAfter].
func testCA(t testing.TB, notBefore, notAfter time.Time) (ca, cert *x509.Certificate) {
	ca, key := newCA(t)
	return ca, issue(t, ca, key, notBefore, notAfter)
}

func newCA(t testing.TB) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(5, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	return ca, key
}

// issue signs a node certificate valid [notBefore, notAfter] with the CA.
func issue(t testing.TB, ca *x509.Certificate, key *ecdsa.PrivateKey, notBefore, notAfter time.Time) *x509.Certificate {
	nkey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "0000000011111111/16"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &nkey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert
}

// registryRT answers /getCa with ca, stamped with date.
type registryRT struct {
	ca   *x509.Certificate
	date time.Time
	err  error
}

func (rt registryRT) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.err != nil {
		return nil, rt.err
	}
	if req.URL.Path != "/getCa" {
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Body: io.NopCloser(bytes.NewReader(nil)), Request: req}, nil
	}
	body := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rt.ca.Raw})
	h := http.Header{"Date": {rt.date.UTC().Format(http.TimeFormat)}}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

func identityDoctor(ca, cert *x509.Certificate, rt registryRT, now time.Time, pin string) *Doctor {
	return &Doctor{
		Sys: systemtest.New(), Exec: fakeRunner{},
		Now: func() time.Time { return now },
		Node: Node{
			Registry: "http://registry.example/", HTTP: &http.Client{Transport: rt},
			CA: ca, Cert: cert, CAFingerprint: pin,
		},
	}
}

func TestIdentityChecks(t *testing.T) {
	ca, cert := testCA(t, t0.AddDate(0, -1, 0), t0.AddDate(1, -1, 0))
	fp, _ := fingerprint("sha256", ca.Raw)
	otherCA, _ := testCA(t, t0, t0.AddDate(1, 0, 0))
	good := registryRT{ca: ca, date: t0}
	for _, tt := range []struct {
		name  string
		d     *Doctor
		check string
		want  Status
	}{
		{"registry-ok", identityDoctor(ca, cert, good, t0, ""), "registry", OK},
		{"registry-down", identityDoctor(ca, cert, registryRT{err: errors.New("connection refused")}, t0, ""), "registry", Fail},
		{"cert-ok", identityDoctor(ca, cert, good, t0, ""), "certificate", OK},
		{"cert-due-for-renewal", identityDoctor(ca, cert, good, cert.NotAfter.Add(-10*24*time.Hour), ""), "certificate", Warn},
		{"cert-expired", identityDoctor(ca, cert, good, cert.NotAfter.Add(time.Hour), ""), "certificate", Fail},
		{"cert-not-yet-valid", identityDoctor(ca, cert, good, cert.NotBefore.Add(-time.Hour), ""), "certificate", Fail},
		{"cert-other-ca", identityDoctor(otherCA, cert, good, t0, ""), "certificate", Fail},
		{"cert-none", identityDoctor(ca, nil, good, t0, ""), "certificate", Skip},
		{"fingerprint-ok", identityDoctor(ca, cert, good, t0, "sha256:"+fp), "ca-fingerprint", OK},
		{"fingerprint-registry-changed-ca", identityDoctor(ca, cert, registryRT{ca: otherCA, date: t0}, t0, "sha256:"+fp), "ca-fingerprint", Fail},
		{"fingerprint-bad-pin", identityDoctor(ca, cert, good, t0, "sha256:00"), "ca-fingerprint", Fail},
		{"fingerprint-unpinned", identityDoctor(ca, cert, good, t0, ""), "ca-fingerprint", Skip},
		{"fingerprint-bad-alg", identityDoctor(ca, cert, good, t0, "md4:00"), "ca-fingerprint", Error},
		{"clock-ok", identityDoctor(ca, cert, good, t0.Add(2*time.Second), ""), "clock", OK},
		{"clock-off", identityDoctor(ca, cert, good, t0.Add(time.Hour), ""), "clock", Fail},
		{"clock-before-ca", identityDoctor(ca, cert, good, ca.NotBefore.Add(-time.Hour), ""), "clock", Fail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := runCheck(t, tt.d, tt.check); r.Status != tt.want {
				t.Fatalf("got %s: %s", r.Status, r.Summary)
			}
		})
	}
	d := identityDoctor(ca, cert, good, t0, "")
	d.Node.Registry = ""
	if r := runCheck(t, d, "registry"); r.Status != Skip {
		t.Fatalf("no registry: got %s", r.Status)
	}
}

// FuzzParsePEMCert feeds arbitrary registry answers: an error or a
// certificate, never a panic.
func FuzzParsePEMCert(f *testing.F) {
	ca, _ := testCA(f, t0, t0.AddDate(1, 0, 0))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := parsePEMCert(b); err == nil && c == nil {
			t.Fatal("no certificate and no error")
		}
	})
}
