package cache

import (
	"bytes"
	"context"
	"database/sql"
	"sort"
	"strings"
)

// Config returns the stored network configuration rows: name → value, the
// value an int64, float64, string or []byte as stored. Lists and objects
// are JSON text under "<name>:json"; a plain "crl" row of old nodes is
// returned as "crl:json".
func (c *Cache) Config(ctx context.Context) (map[string]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return selectConfig(ctx, c.conn)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func selectConfig(ctx context.Context, q querier) (map[string]any, error) {
	rows, err := q.QueryContext(ctx, "SELECT name, value FROM config")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cfg := map[string]any{}
	for rows.Next() {
		var name string
		var value any
		if err := rows.Scan(&name, &value); err != nil {
			return nil, err
		}
		if name == "crl" {
			name = "crl:json"
		}
		cfg[name] = value
	}
	return cfg, rows.Err()
}

// ReplaceConfig stores cfg as the whole network configuration and returns
// the names (without ":json") that were added, removed or changed, sorted.
func (c *Cache) ReplaceConfig(ctx context.Context, cfg map[string]any) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var changed []string
	err := c.tx(ctx, func(tx *sql.Tx) error {
		old, err := selectConfig(ctx, tx)
		if err != nil {
			return err
		}
		for name := range old {
			if _, ok := cfg[name]; ok {
				continue
			}
			changed = append(changed, strings.TrimSuffix(name, ":json"))
			// Old nodes stored the CRL as "crl"; it reads as "crl:json".
			for _, stored := range []string{name, strings.TrimSuffix(name, ":json")} {
				if _, err := tx.ExecContext(ctx, "DELETE FROM config WHERE name=?", stored); err != nil {
					return err
				}
			}
		}
		for name, v := range cfg {
			if o, ok := old[name]; ok && sameValue(o, v) {
				continue
			}
			changed = append(changed, strings.TrimSuffix(name, ":json"))
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO config VALUES (?,?)", name, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(changed)
	return changed, nil
}

// sameValue compares stored values, treating ints and floats that are
// equal numbers, and strings and blobs with equal bytes, as the same.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Equal(x, y)
		case string:
			return string(x) == y
		}
	case string:
		switch y := b.(type) {
		case []byte:
			return x == string(y)
		case string:
			return x == y
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return x == y
		case int:
			return x == int64(y)
		case float64:
			return float64(x) == y
		case bool:
			return x == int64(boolInt(y))
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case int64:
			return x == float64(y)
		case int:
			return x == float64(y)
		}
	case nil:
		return b == nil
	}
	return false
}
