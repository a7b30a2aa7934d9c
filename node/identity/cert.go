package identity

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ParseCertPEM parses the first PEM CERTIFICATE block of b.
func ParseCertPEM(b []byte) (*x509.Certificate, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if blk.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse certificate: %w", err)
			}
			return c, nil
		}
	}
}

// EncodeCertPEM returns the PEM text of a certificate.
func EncodeCertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// RSAPublicKey returns the RSA key of a certificate, or an error naming why
// re6st cannot use it.
func RSAPublicKey(c *x509.Certificate) (*rsa.PublicKey, error) {
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("certificate %q has a %T key; re6st needs RSA", c.Subject.CommonName, c.PublicKey)
	}
	return pub, nil
}

// VerifyCert checks that ca signed cert and that cert is valid at time at.
// Like OpenSSL and unlike x509.Certificate.CheckSignatureFrom, it accepts
// v1 certificates and CAs without extensions.
func VerifyCert(ca, cert *x509.Certificate, at time.Time) error {
	if !bytes.Equal(cert.RawIssuer, ca.RawSubject) {
		return fmt.Errorf("certificate %q was not issued by this CA (issuer %q)", cert.Subject, cert.Issuer)
	}
	if err := ca.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return fmt.Errorf("certificate %q: bad CA signature: %w", cert.Subject, err)
	}
	if at.Before(cert.NotBefore) {
		return fmt.Errorf("certificate %q not valid before %s: check the clock", cert.Subject, cert.NotBefore.UTC())
	}
	if at.After(cert.NotAfter) {
		return fmt.Errorf("certificate %q expired at %s: renew it", cert.Subject, cert.NotAfter.UTC())
	}
	return nil
}

// VerifyOwn checks the node's own certificate the way re6st does at start:
// at min(now, max(notBefore(CA), notBefore(cert))), so that an expired own
// certificate still loads and can be renewed.
func VerifyOwn(ca, cert *x509.Certificate, now time.Time) error {
	at := ca.NotBefore
	if cert.NotBefore.After(at) {
		at = cert.NotBefore
	}
	if now.Before(at) {
		at = now
	}
	return VerifyCert(ca, cert, at)
}

// FingerprintSHA1 is the SHA-1 of the DER certificate, used in peer hellos.
func FingerprintSHA1(c *x509.Certificate) [20]byte { return sha1.Sum(c.Raw) }

var (
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidCN            = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidSerialNumber  = asn1.ObjectIdentifier{2, 5, 4, 5}
)

type validity struct {
	NotBefore, NotAfter time.Time
}

// tbsV1 is a version-1 TBSCertificate: no version field, no extensions,
// which is what re6st registries issue.
type tbsV1 struct {
	Serial    *big.Int
	SigAlg    pkix.AlgorithmIdentifier
	Issuer    asn1.RawValue
	Validity  validity
	Subject   asn1.RawValue
	PublicKey asn1.RawValue
}

type certificate struct {
	TBS    asn1.RawValue
	SigAlg pkix.AlgorithmIdentifier
	Sig    asn1.BitString
}

// Template describes a certificate the registry issues.
type Template struct {
	Serial     *big.Int
	RawSubject []byte // DER Name
	RawSPKI    []byte // DER SubjectPublicKeyInfo
	NotBefore  time.Time
	NotAfter   time.Time
}

// Issue builds and signs an X.509 v1 certificate with sha512WithRSA.
func Issue(ca *x509.Certificate, caKey *rsa.PrivateKey, t Template) (*x509.Certificate, error) {
	alg := pkix.AlgorithmIdentifier{Algorithm: oidSHA512WithRSA, Parameters: asn1.NullRawValue}
	tbs, err := asn1.Marshal(tbsV1{
		Serial:    t.Serial,
		SigAlg:    alg,
		Issuer:    asn1.RawValue{FullBytes: ca.RawSubject},
		Validity:  validity{t.NotBefore.UTC().Truncate(time.Second), t.NotAfter.UTC().Truncate(time.Second)},
		Subject:   asn1.RawValue{FullBytes: t.RawSubject},
		PublicKey: asn1.RawValue{FullBytes: t.RawSPKI},
	})
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	sig, err := Sign(caKey, tbs)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(certificate{
		TBS:    asn1.RawValue{FullBytes: tbs},
		SigAlg: alg,
		Sig:    asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		return nil, fmt.Errorf("encode certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// SubjectForPrefix returns subject with its CN set to the prefix's CN form
// and its serialNumber attribute set to serial; other attributes are kept
// in order, and missing ones are appended (serialNumber, then CN).
func SubjectForPrefix(rawSubject []byte, prefix string, serial int) ([]byte, error) {
	var rdns pkix.RDNSequence
	if len(rawSubject) > 0 {
		rest, err := asn1.Unmarshal(rawSubject, &rdns)
		if err != nil || len(rest) > 0 {
			return nil, fmt.Errorf("parse subject: bad DER name")
		}
	}
	set := func(oid asn1.ObjectIdentifier, v string) {
		for i := range rdns {
			for j := range rdns[i] {
				if rdns[i][j].Type.Equal(oid) {
					rdns[i][j].Value = v
					return
				}
			}
		}
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: oid, Value: v}})
	}
	set(oidSerialNumber, fmt.Sprint(serial))
	set(oidCN, CN(prefix))
	b, err := asn1.Marshal(rdns)
	if err != nil {
		return nil, fmt.Errorf("encode subject: %w", err)
	}
	return b, nil
}
