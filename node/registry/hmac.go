package registry

import (
	"crypto/rand"
	"database/sql"
	"time"
)

var hmacNames = [3]string{"babel_hmac0", "babel_hmac1", "babel_hmac2"}

// hmacPhase1 is how long nodes have to fetch a new accept key (valid_until).
const hmacPhase1 = 3600 * time.Second

func (r *Registry) newHMAC(q execer, i int, key []byte) error {
	if key == nil {
		key = make([]byte, 16)
		if _, err := rand.Read(key); err != nil {
			return err
		}
	}
	if err := setConfig(q, hmacNames[i], key); err != nil {
		return err
	}
	r.hmac[i], r.hmacSet[i] = key, true
	r.confGen++
	return nil
}

func (r *Registry) dropHMAC(q execer, i int) error {
	if err := setConfig(q, hmacNames[i], nil); err != nil {
		return err
	}
	r.hmac[i], r.hmacSet[i] = nil, false
	r.confGen++
	return nil
}

func readValidUntil(q execer) (float64, error) {
	v, err := getConfig(q, "valid_until")
	if err != nil {
		return 0, err
	}
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, nil
}

// UpdateHMAC performs one step of babel key rotation (§2.7) and bumps the
// network version.
func (r *Registry) UpdateHMAC() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.tx(func(tx *sql.Tx) error {
		var validUntil float64
		switch {
		case len(r.hmac[0]) > 0 && r.hmacSet[0]:
			if len(r.hmac[1]) > 0 && r.hmacSet[1] {
				if err := r.newHMAC(tx, 2, r.hmac[0]); err != nil {
					return err
				}
				if err := r.dropHMAC(tx, 0); err != nil {
					return err
				}
			} else {
				if err := r.newHMAC(tx, 1, nil); err != nil {
					return err
				}
				validUntil = float64(r.now().UnixNano())/1e9 + hmacPhase1.Seconds()
			}
		case len(r.hmac[1]) > 0 && r.hmacSet[1]:
			if err := r.newHMAC(tx, 0, r.hmac[1]); err != nil {
				return err
			}
			if err := r.dropHMAC(tx, 1); err != nil {
				return err
			}
			if err := r.dropHMAC(tx, 2); err != nil {
				return err
			}
		default:
			// First key of a network that had none: accept unsigned
			// packets (empty accept key) while nodes learn it.
			if err := r.newHMAC(tx, 1, nil); err != nil {
				return err
			}
			if err := r.newHMAC(tx, 2, []byte{}); err != nil {
				return err
			}
		}
		var stored any
		if validUntil != 0 {
			stored = validUntil
		}
		if err := setConfig(tx, "valid_until", stored); err != nil {
			return err
		}
		r.validUntil = validUntil
		r.confGen++
		return r.increaseVersion(tx)
	})
	if err != nil {
		return err
	}
	r.notifyNode()
	return nil
}
