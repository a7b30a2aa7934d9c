package tunnels

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
)

// SetRevoked makes dir hold exactly one empty file per revoked certificate
// serial, named by its decimal value: the layout of OpenVPN's
// `--crl-verify dir dir`, which then refuses those peers during the TLS
// handshake, on servers and clients alike (Config.CRLDir).
func SetRevoked(dir string, serials []*big.Int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("revocation directory %s: %w", dir, err)
	}
	want := map[string]bool{}
	for _, s := range serials {
		if s == nil || s.Sign() < 0 {
			return fmt.Errorf("revoked serial %v: not a certificate serial", s)
		}
		want[s.String()] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("revocation directory %s: %w", dir, err)
	}
	var errs []error
	for _, e := range entries {
		if !want[e.Name()] {
			errs = append(errs, os.Remove(filepath.Join(dir, e.Name())))
		}
		delete(want, e.Name())
	}
	for name := range want {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			err = f.Close()
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("update revocation directory %s: %w", dir, err)
	}
	return nil
}
