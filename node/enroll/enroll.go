package enroll

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"re6st-tui/node/identity"
	"re6st-tui/node/regclient"
)

// Errors of enrollment, each telling the user what to do.
var (
	ErrRegistrationDisabled = errors.New("registration refused by the registry (403): try --anonymous, or ask its operator for a token")
	ErrInvalidToken         = errors.New("invalid or expired token: request a new one, or check it for typos")
	ErrReservedField        = errors.New("the CN and serial fields are set by the registry: remove them from the requested subject")
)

// Enrollment holds the state of one enrollment, filled step by step.
type Enrollment struct {
	Registry string // registry URL
	Dir      string // where the files go
	Client   *regclient.Client

	CA        *identity.CA // after FetchCA
	CAPEM     []byte
	Key       *rsa.PrivateKey // after PrepareKey
	KeyReused bool
	Cert      *x509.Certificate // after RequestCertificate
	CertPEM   []byte
}

// New prepares an enrollment with the registry at url into dir.
func New(url, dir string) (*Enrollment, error) {
	c, err := regclient.New(url)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = "."
	}
	return &Enrollment{Registry: url, Dir: dir, Client: c}, nil
}

func (e *Enrollment) path(name string) string { return filepath.Join(e.Dir, name) }

// unreachableError rewords a transport failure for people; errors.As
// still finds the *regclient.UnreachableError inside.
type unreachableError struct{ ue *regclient.UnreachableError }

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach the registry at %s: %v; check the URL, the network, and that the registry runs", e.ue.URL, e.ue.Err)
}

func (e *unreachableError) Unwrap() error { return e.ue }

func unreachable(err error) error {
	var ue *regclient.UnreachableError
	if errors.As(err, &ue) {
		return &unreachableError{ue}
	}
	return err
}

// FetchCA downloads the CA and decodes the network (step 1).
func (e *Enrollment) FetchCA(ctx context.Context) (*identity.CA, error) {
	b, err := e.Client.GetCa(ctx)
	if err != nil {
		return nil, unreachable(err)
	}
	ca, err := identity.ParseCA(b)
	if err != nil {
		return nil, fmt.Errorf("the registry sent a bad CA: %w", err)
	}
	e.CA, e.CAPEM = ca, b
	return ca, nil
}

// Fingerprint returns the CA fingerprint as "alg:hex", the form
// --fingerprint takes, for people to compare out of band (step 2).
func (e *Enrollment) Fingerprint(alg string) (string, error) {
	fp, err := identity.Fingerprint(e.CA.Cert, alg)
	if err != nil {
		return "", err
	}
	return alg + ":" + hex.EncodeToString(fp), nil
}

// CheckFingerprint compares the CA with an expected "alg:hex".
func (e *Enrollment) CheckFingerprint(spec string) error {
	return identity.CheckFingerprint(e.CA.Cert, spec)
}

// Network returns the network prefix of the fetched CA.
func (e *Enrollment) Network() netip.Prefix { return e.CA.Prefix }

// WriteCA writes ca.crt.
func (e *Enrollment) WriteCA() error { return writeAtomic(e.path(CAFile), e.CAPEM, 0o644) }

// RequestToken asks the registry to mail a token (step 3, by email).
func (e *Enrollment) RequestToken(ctx context.Context, email string) error {
	err := e.Client.RequestToken(ctx, email)
	if errors.Is(err, regclient.ErrForbidden) {
		return fmt.Errorf("the registry sends no tokens by mail: %w", ErrRegistrationDisabled)
	}
	return unreachable(err)
}

// Subject builds the certificate subject: the fields of an existing
// cert.crt (but CN and serialNumber, which the registry sets) updated with
// extra. extra may not name CN or serial.
func (e *Enrollment) Subject(extra []identity.Attr) ([]byte, error) {
	var attrs []identity.Attr
	if b, err := os.ReadFile(e.path(CertFile)); err == nil {
		if c, err := identity.ParseCertPEM(b); err == nil {
			for _, a := range identity.SubjectAttrs(c) {
				if a.Key != "CN" && a.Key != "serialNumber" {
					attrs = append(attrs, a)
				}
			}
		}
	}
	for _, x := range extra {
		if x.Key == "CN" || x.Key == "serial" || x.Key == "serialNumber" || x.Key == "commonName" {
			return nil, ErrReservedField
		}
		replaced := false
		for i := range attrs {
			if attrs[i].Key == x.Key {
				attrs[i].Value, replaced = x.Value, true
			}
		}
		if !replaced {
			attrs = append(attrs, x)
		}
	}
	return identity.BuildSubject(attrs)
}

// PrepareKey reuses cert.key or generates an RSA key of the CA's size and
// writes it with mode 0600 (step 4).
func (e *Enrollment) PrepareKey() error {
	if b, err := os.ReadFile(e.path(KeyFile)); err == nil {
		k, err := identity.ParseKeyPEM(b)
		if err != nil {
			return fmt.Errorf("%s: %w (move it away to generate a new key)", e.path(KeyFile), err)
		}
		if k.N.BitLen() != e.CA.Bits() {
			return fmt.Errorf("%s has %d bits but the CA %d: move it away to generate a new key", e.path(KeyFile), k.N.BitLen(), e.CA.Bits())
		}
		e.Key, e.KeyReused = k, true
		return nil
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("read key: %w", err)
	}
	if err := checkWritable(e.Dir); err != nil {
		return err
	}
	k, err := rsa.GenerateKey(rand.Reader, e.CA.Bits())
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	pemText, err := identity.EncodeKeyPEM(k)
	if err != nil {
		return err
	}
	if err := writeAtomic(e.path(KeyFile), pemText, 0o600); err != nil {
		return err
	}
	e.Key = k
	return nil
}

// CheckWritable verifies that the certificate can be written, so that a
// token is never spent for nothing.
func (e *Enrollment) CheckWritable() error {
	if err := checkWritable(e.Dir); err != nil {
		return err
	}
	if st, err := os.Stat(e.path(CertFile)); err == nil && st.IsDir() {
		return fmt.Errorf("%w: %s is a directory", ErrDirNotWritable, e.path(CertFile))
	}
	return nil
}

// RequestCertificate sends the CSR with token ("" = anonymous) and writes
// cert.crt (step 5). The directory is checked first.
func (e *Enrollment) RequestCertificate(ctx context.Context, token string, subject []byte, location string) (*x509.Certificate, error) {
	if e.Key == nil || e.CA == nil {
		return nil, errors.New("fetch the CA and prepare the key first")
	}
	if err := e.CheckWritable(); err != nil {
		return nil, err
	}
	csr, err := identity.CreateCSR(e.Key, subject)
	if err != nil {
		return nil, err
	}
	pemText, err := e.Client.RequestCertificate(ctx, token, csr, location)
	switch {
	case errors.Is(err, regclient.ErrInvalidToken):
		return nil, ErrInvalidToken
	case errors.Is(err, regclient.ErrForbidden):
		if token == "" {
			return nil, fmt.Errorf("anonymous registration is off: %w", ErrRegistrationDisabled)
		}
		return nil, fmt.Errorf("token registration is off: %w", ErrRegistrationDisabled)
	case err != nil:
		return nil, unreachable(err)
	}
	cert, err := identity.ParseCertPEM(pemText)
	if err != nil {
		return nil, fmt.Errorf("the registry sent a bad certificate: %w", err)
	}
	if _, err := identity.New(e.CA, cert, e.Key, time.Now()); err != nil {
		return nil, fmt.Errorf("the registry sent an unusable certificate: %w", err)
	}
	if err := writeAtomic(e.path(CertFile), pemText, 0o644); err != nil {
		return nil, err
	}
	e.Cert, e.CertPEM = cert, pemText
	return cert, nil
}

// WriteConf creates re6stnet.conf if absent (step 6); written is false
// when one already existed.
func (e *Enrollment) WriteConf(location string) (written bool, err error) {
	p := e.path(ConfFile)
	if _, err := os.Lstat(p); err == nil {
		return false, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "registry %s\nca %s\ncert %s\nkey %s\n", e.Registry, CAFile, CertFile, KeyFile)
	if location != "" {
		cc, _, _ := strings.Cut(location, ",")
		fmt.Fprintf(&b, "country %s\n", cc)
	}
	b.WriteString("# increase re6stnet verbosity:\n#verbose 3\n# enable OpenVPN logging:\n#ovpnlog\n" +
		"# uncomment the following 2 lines to increase OpenVPN verbosity:\n#O--verb\n#O3\n")
	return true, writeAtomic(p, []byte(b.String()), 0o644)
}

// Result summarizes a finished enrollment.
type Result struct {
	CN       string
	Prefix   string
	Subnet   netip.Prefix
	Addr     netip.Addr
	NotAfter time.Time
	RenewAt  time.Time
}

// Result describes the obtained certificate.
func (e *Enrollment) Result() (Result, error) {
	if e.Cert == nil {
		return Result{}, errors.New("no certificate yet")
	}
	p, err := identity.PrefixFromCN(e.Cert.Subject.CommonName)
	if err != nil {
		return Result{}, err
	}
	s, err := e.CA.Subnet(p)
	if err != nil {
		return Result{}, err
	}
	return Result{CN: e.Cert.Subject.CommonName, Prefix: p, Subnet: s, Addr: identity.NodeAddr(s),
		NotAfter: e.Cert.NotAfter, RenewAt: identity.RenewAt(e.Cert)}, nil
}
