package identity

import (
	"fmt"

	"re6st-tui/node/packint"
)

// VerifyVersion checks a network version blob (packInteger(n) ‖ CA
// signature over it) and returns n.
func (ca *CA) VerifyVersion(blob []byte) (uint64, error) {
	n, k, err := packint.Decode(blob)
	if err != nil {
		return 0, fmt.Errorf("network version: %w", err)
	}
	if err := ca.VerifySig(blob[:k], blob[k:]); err != nil {
		return 0, fmt.Errorf("network version %d: not signed by the CA: %w", n, err)
	}
	return n, nil
}
