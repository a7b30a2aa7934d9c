package registry

import (
	"crypto/rand"
	"database/sql"
	"errors"
	"math/big"
	"net/http"
	"strings"
)

// newToken returns 8 distinct random lowercase letters, like re6st.
func newToken() (string, error) {
	letters := []byte("abcdefghijklmnopqrstuvwxyz")
	for i := 0; i < 8; i++ {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(len(letters)-i)))
		if err != nil {
			return "", err
		}
		k := i + int(j.Int64())
		letters[i], letters[k] = letters[k], letters[i]
	}
	return string(letters[:8]), nil
}

// AddToken stores a registration token for email. With generate set a
// fresh token is made (and returned); otherwise token is stored as given
// and an existing one is a 409.
func (r *Registry) AddToken(email, token string, generate bool) (string, error) {
	if r.cfg.PrefixLength == 0 {
		return "", status(http.StatusForbidden, "token registration is disabled (--prefix-length 0)")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if generate {
			t, err := newToken()
			if err != nil {
				return "", err
			}
			token = t
		}
		res, err := r.db.Exec("INSERT OR IGNORE INTO token VALUES (?,?,?,?)", token, email, r.cfg.PrefixLength, r.now().Unix())
		if err != nil {
			return "", err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			break
		}
		if !generate {
			return "", status(http.StatusConflict, "token already exists")
		}
	}
	r.scheduleLocked(r.now())
	return token, nil
}

// IsToken reports whether a token exists.
func (r *Registry) IsToken(token string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var one int
	err := r.db.QueryRow("SELECT 1 FROM token WHERE token = ?", token).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// DeleteToken removes a token.
func (r *Registry) DeleteToken(token string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := r.db.Exec("DELETE FROM token WHERE token = ?", token)
	return err
}

// RequestToken creates a token for email and mails it (or appends it to
// the mbox file given as mail host).
func (r *Registry) RequestToken(email string) error {
	if r.cfg.MailHost == "" {
		return status(http.StatusForbidden, "registration by mail is disabled (no --mailhost)")
	}
	if strings.ContainsAny(email, "\r\n") {
		return status(http.StatusBadRequest, "invalid email address")
	}
	token, err := r.AddToken(email, "", true)
	if err != nil {
		return err
	}
	return r.mailToken(email, token)
}
