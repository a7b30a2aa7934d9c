package identity

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"time"
)

var oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// Identity is a node's CA, certificate and key, checked to fit together.
type Identity struct {
	CA     *CA
	Cert   *x509.Certificate
	Key    *rsa.PrivateKey
	Prefix string       // binary prefix from the CN
	Subnet netip.Prefix // network‖prefix
	Addr   netip.Addr   // node IP (subnet::1)
}

// New checks that cert was issued by ca (as re6st checks its own
// certificate, so an expired one still loads), that key matches cert and
// has the CA's size, and decodes the prefix.
func New(ca *CA, cert *x509.Certificate, key *rsa.PrivateKey, now time.Time) (*Identity, error) {
	if err := VerifyOwn(ca.Cert, cert, now); err != nil {
		return nil, err
	}
	pub, err := RSAPublicKey(cert)
	if err != nil {
		return nil, err
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, errors.New("the key does not match the certificate: use the cert.key that requested it, or enroll again")
	}
	if key.N.BitLen() != ca.Bits() {
		return nil, fmt.Errorf("the key has %d bits but the CA has %d: re6st needs equal sizes; enroll again with a new key", key.N.BitLen(), ca.Bits())
	}
	prefix, err := PrefixFromCN(cert.Subject.CommonName)
	if err != nil {
		return nil, err
	}
	subnet, err := ca.Subnet(prefix)
	if err != nil {
		return nil, err
	}
	return &Identity{CA: ca, Cert: cert, Key: key, Prefix: prefix, Subnet: subnet, Addr: NodeAddr(subnet)}, nil
}

// Load reads and checks the CA, certificate and key PEM files.
func Load(caPath, certPath, keyPath string, now time.Time) (*Identity, error) {
	read := func(p, what string) ([]byte, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w (run re6st-conf to create it)", what, err)
		}
		return b, nil
	}
	cab, err := read(caPath, "CA")
	if err != nil {
		return nil, err
	}
	ca, err := ParseCA(cab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", caPath, err)
	}
	cb, err := read(certPath, "certificate")
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertPEM(cb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	kb, err := read(keyPath, "key")
	if err != nil {
		return nil, err
	}
	key, err := ParseKeyPEM(kb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	id, err := New(ca, cert, key, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	return id, nil
}

// ParseKeyPEM reads an RSA private key in PKCS#1 or PKCS#8 PEM.
func ParseKeyPEM(b []byte) (*rsa.PrivateKey, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("private key is %T; re6st needs RSA", k)
			}
			return rk, nil
		}
	}
}

// EncodeKeyPEM returns the PKCS#8 PEM text of key (what OpenSSL 3 writes).
func EncodeKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// SubjectSerial returns the subject serialNumber attribute (the IPv4
// sub-allocation index), and false when absent or not a number.
func SubjectSerial(c *x509.Certificate) (int, bool) {
	s := c.Subject.SerialNumber
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Attribute names accepted in subjects (re6st-conf -r KEY VALUE), as OpenSSL spells them.
var attrOIDs = map[string]asn1.ObjectIdentifier{
	"C": {2, 5, 4, 6}, "countryName": {2, 5, 4, 6},
	"ST": {2, 5, 4, 8}, "stateOrProvinceName": {2, 5, 4, 8},
	"L": {2, 5, 4, 7}, "localityName": {2, 5, 4, 7},
	"O": {2, 5, 4, 10}, "organizationName": {2, 5, 4, 10},
	"OU": {2, 5, 4, 11}, "organizationalUnitName": {2, 5, 4, 11},
	"CN": oidCN, "commonName": oidCN,
	"serialNumber": oidSerialNumber,
	"title":        {2, 5, 4, 12}, "description": {2, 5, 4, 13},
	"street": {2, 5, 4, 9}, "postalCode": {2, 5, 4, 17},
	"name": {2, 5, 4, 41}, "GN": {2, 5, 4, 42}, "givenName": {2, 5, 4, 42},
	"SN": {2, 5, 4, 4}, "surname": {2, 5, 4, 4}, "initials": {2, 5, 4, 43},
	"pseudonym": {2, 5, 4, 65}, "dnQualifier": {2, 5, 4, 46},
	"emailAddress": oidEmail, "UID": {0, 9, 2342, 19200300, 100, 1, 1},
}

// Attr is one subject attribute.
type Attr struct{ Key, Value string }

// BuildSubject encodes attributes as a DER Name, one RDN each, in order.
func BuildSubject(attrs []Attr) ([]byte, error) {
	var rdns pkix.RDNSequence
	for _, a := range attrs {
		oid, ok := attrOIDs[a.Key]
		if !ok {
			return nil, fmt.Errorf("unknown subject field %q: use a name such as O, OU, C, L, title, emailAddress", a.Key)
		}
		if a.Value == "" {
			continue
		}
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: a.Value}})
	}
	return asn1.Marshal(rdns)
}

// preferredName maps an attribute OID to its OpenSSL short name (or long
// name when it has no short one).
var preferredName = func() map[string]string {
	m := map[string]string{}
	for name, oid := range attrOIDs {
		k := oid.String()
		if old, ok := m[k]; !ok || len(name) < len(old) {
			m[k] = name
		}
	}
	return m
}()

// SubjectAttrs lists a certificate's subject attributes with known names,
// in order (used to carry an existing subject into a new request).
func SubjectAttrs(c *x509.Certificate) []Attr {
	var out []Attr
	for _, n := range c.Subject.Names {
		s, ok := n.Value.(string)
		name, known := preferredName[n.Type.String()]
		if ok && known {
			out = append(out, Attr{name, s})
		}
	}
	return out
}

// CreateCSR returns a PEM certificate request for key with the given DER
// subject, signed with SHA-512.
func CreateCSR(key *rsa.PrivateKey, rawSubject []byte) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{
		RawSubject:         rawSubject,
		SignatureAlgorithm: x509.SHA512WithRSA,
	}, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate request: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// ParseCSRPEM parses a PEM certificate request and returns it with its RSA key.
func ParseCSRPEM(b []byte) (*x509.CertificateRequest, *rsa.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || (blk.Type != "CERTIFICATE REQUEST" && blk.Type != "NEW CERTIFICATE REQUEST") {
		return nil, nil, errors.New("no PEM certificate request found")
	}
	r, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate request: %w", err)
	}
	pub, ok := r.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("certificate request has a %T key; re6st needs RSA", r.PublicKey)
	}
	return r, pub, nil
}
