package registry

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ErrOwnCertExpired stops the registry: its own node's certificate is
// past the grace period, which means a wrong clock or a broken database.
var ErrOwnCertExpired = errors.New("refusing to delete the registry node's own certificate: check the clock (or the database)")

// scheduleLocked moves the next housekeeping earlier if an item created
// at t (token date or certificate notAfter) expires sooner.
func (r *Registry) scheduleLocked(t time.Time) {
	due := t.Add(r.cfg.GracePeriod)
	if r.timeout.IsZero() || due.Before(r.timeout) {
		r.timeout = due
	}
}

// housekeepLocked deletes tokens and certificates older than the grace
// period, merges free prefixes and computes the next run (§1.7, §2.10).
func (r *Registry) housekeepLocked() error {
	old := r.now().Add(-r.cfg.GracePeriod)
	var next time.Time
	keep := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	var expired []string
	err := r.tx(func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT token, date FROM token")
		if err != nil {
			return err
		}
		var stale []string
		for rows.Next() {
			var tok string
			var d int64
			if err := rows.Scan(&tok, &d); err != nil {
				rows.Close()
				return err
			}
			if t := time.Unix(d, 0); !t.After(old) {
				stale = append(stale, tok)
			} else {
				keep(t)
			}
		}
		rows.Close()
		for _, tok := range stale {
			if _, err := tx.Exec("DELETE FROM token WHERE token=?", tok); err != nil {
				return err
			}
		}
		for p, ci := range r.certs {
			if ci.notAfter.After(old) {
				keep(ci.notAfter)
				continue
			}
			if p == r.prefix {
				return ErrOwnCertExpired
			}
			r.log.Info("deleting expired certificate", "prefix", p, "email", ci.email.String, "not_after", ci.notAfter.UTC())
			if _, err := tx.Exec("UPDATE cert SET email=null, cert=null WHERE prefix=?", p); err != nil {
				return err
			}
			expired = append(expired, p)
		}
		for _, p := range expired {
			r.dropCert(p, r.certs[p])
			r.tree.release(p)
		}
		return run(tx, r.tree.merge())
	})
	if err != nil {
		return err
	}
	r.timeout = time.Time{}
	if !next.IsZero() {
		r.timeout = next.Add(r.cfg.GracePeriod)
	}
	return nil
}

// Housekeep runs housekeeping now.
func (r *Registry) Housekeep() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.housekeepLocked()
}

// NextHousekeeping is when housekeeping is due (zero when nothing expires).
func (r *Registry) NextHousekeeping() time.Time {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.timeout
}

// Run performs housekeeping when due until ctx ends. It returns
// ErrOwnCertExpired if the registry must stop.
func (r *Registry) Run(ctx context.Context) error {
	for {
		wait := time.Hour
		if due := r.NextHousekeeping(); !due.IsZero() {
			if d := due.Sub(r.now()); d < wait {
				wait = max(d, time.Second)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if due := r.NextHousekeeping(); due.IsZero() || r.now().Before(due) {
			continue
		}
		if err := r.Housekeep(); err != nil {
			if errors.Is(err, ErrOwnCertExpired) {
				return err
			}
			r.log.Error("housekeeping", "err", err)
		}
	}
}
