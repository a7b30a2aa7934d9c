package identity

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/netip"
	"strings"
)

// CA is the network's certificate authority and the network it encodes.
type CA struct {
	Cert    *x509.Certificate
	Key     *rsa.PublicKey
	Network string       // network bits, from the serial
	Prefix  netip.Prefix // the network as an IPv6 prefix
}

// NewCA checks a CA certificate and decodes its network.
func NewCA(c *x509.Certificate) (*CA, error) {
	pub, err := RSAPublicKey(c)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	bits, err := NetworkFromSerial(c.SerialNumber)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	p, err := Subnet(bits, "")
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	return &CA{Cert: c, Key: pub, Network: bits, Prefix: p}, nil
}

// ParseCA parses a PEM CA certificate.
func ParseCA(pemText []byte) (*CA, error) {
	c, err := ParseCertPEM(pemText)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	return NewCA(c)
}

// Bits is the CA modulus size; node keys must have the same size.
func (ca *CA) Bits() int { return ca.Key.N.BitLen() }

// MaxPrefixLen is the longest prefix a node may have (128 − network length).
func (ca *CA) MaxPrefixLen() int { return 128 - len(ca.Network) }

// Subnet is network‖prefix.
func (ca *CA) Subnet(prefix string) (netip.Prefix, error) { return Subnet(ca.Network, prefix) }

// Email is the CA subject's emailAddress (sender of token mails), or "".
func (ca *CA) Email() string {
	for _, a := range ca.Cert.Subject.Names {
		if a.Type.Equal(oidEmail) {
			if s, ok := a.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// VerifySig checks a CA signature (registry hello, network version).
func (ca *CA) VerifySig(data, sig []byte) error { return Verify(ca.Key, data, sig) }

var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New,
}

// Fingerprint hashes the CA's DER with alg (md5, sha1, sha224, sha256, sha384, sha512).
func Fingerprint(c *x509.Certificate, alg string) ([]byte, error) {
	nh, ok := hashes[strings.ToLower(alg)]
	if !ok {
		return nil, fmt.Errorf("unknown fingerprint algorithm %q: use sha256, sha1, sha512, ...", alg)
	}
	h := nh()
	h.Write(c.Raw)
	return h.Sum(nil), nil
}

// ErrFingerprintMismatch means the registry served a CA other than the expected one.
var ErrFingerprintMismatch = errors.New("CA fingerprint does not match: the registry is not the one you expect (or it changed its CA); check the URL and the fingerprint")

// CheckFingerprint compares c with a spec "alg:hex" as given to re6st-conf --fingerprint.
func CheckFingerprint(c *x509.Certificate, spec string) error {
	alg, hx, ok := strings.Cut(spec, ":")
	if !ok {
		return fmt.Errorf("invalid fingerprint %q: write it as ALG:HEX, e.g. sha256:ab12…", spec)
	}
	want, err := hex.DecodeString(strings.ReplaceAll(hx, ":", ""))
	if err != nil {
		return fmt.Errorf("invalid fingerprint %q: %w", spec, err)
	}
	got, err := Fingerprint(c, alg)
	if err != nil {
		return err
	}
	if len(want) != len(got) {
		return fmt.Errorf("invalid fingerprint %q: a %s digest has %d bytes, not %d", spec, alg, len(got), len(want))
	}
	if string(want) != string(got) {
		return ErrFingerprintMismatch
	}
	return nil
}
