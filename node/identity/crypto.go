package identity

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"fmt"
)

// Sign signs data with RSASSA-PKCS1-v1_5 over SHA-512.
func Sign(key *rsa.PrivateKey, data []byte) ([]byte, error) {
	h := sha512.Sum512(data)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA512, h[:])
	if err != nil {
		return nil, fmt.Errorf("rsa sign: %w", err)
	}
	return sig, nil
}

// Verify checks an RSASSA-PKCS1-v1_5 SHA-512 signature.
func Verify(pub *rsa.PublicKey, data, sig []byte) error {
	h := sha512.Sum512(data)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA512, h[:], sig); err != nil {
		return fmt.Errorf("rsa verify: %w", err)
	}
	return nil
}

// Encrypt encrypts a short message (at most k−11 bytes) with RSAES-PKCS1-v1_5.
func Encrypt(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	//lint:ignore SA1019 re6st's wire format is PKCS#1 v1.5 encryption.
	c, err := rsa.EncryptPKCS1v15(rand.Reader, pub, msg) //nolint:staticcheck
	if err != nil {
		return nil, fmt.Errorf("rsa encrypt: %w", err)
	}
	return c, nil
}

// Decrypt reverses Encrypt with the node key.
func Decrypt(key *rsa.PrivateKey, c []byte) ([]byte, error) {
	m, err := rsa.DecryptPKCS1v15(rand.Reader, key, c) //nolint:staticcheck
	if err != nil {
		return nil, fmt.Errorf("rsa decrypt: %w", err)
	}
	return m, nil
}

// SignedBlob returns data ‖ Sign(key, data), the layout of network versions.
func SignedBlob(key *rsa.PrivateKey, data []byte) ([]byte, error) {
	sig, err := Sign(key, data)
	if err != nil {
		return nil, err
	}
	return append(append([]byte(nil), data...), sig...), nil
}
