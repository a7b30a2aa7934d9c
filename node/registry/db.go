package registry

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// schema is re6st's registry.db, byte for byte: the Python registry
// compares the stored CREATE TABLE text and refuses any difference.
var schema = []struct{ name, sql string }{
	{"config", createTable("config", "name TEXT PRIMARY KEY NOT NULL", "value")},
	{"token", createTable("token", "token TEXT PRIMARY KEY NOT NULL", "email TEXT NOT NULL",
		"prefix_len INTEGER NOT NULL", "date INTEGER NOT NULL")},
	{"cert", createTable("cert", "prefix TEXT PRIMARY KEY NOT NULL", "email TEXT", "cert TEXT")},
	{"crl", createTable("crl", "serial INTEGER PRIMARY KEY NOT NULL", "date INTEGER NOT NULL")},
}

func createTable(name string, cols ...string) string {
	return "CREATE TABLE " + name + " (\n  " + strings.Join(cols, ",\n  ") + ")"
}

// openDB opens (creating if needed) a registry database and checks its schema.
func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: every statement is serialized by the registry lock
	// anyway, and a single connection keeps transactions simple.
	db.SetMaxOpenConns(1)
	if err := ensureSchema(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

func ensureSchema(db *sql.DB) error {
	for _, t := range schema {
		var have string
		err := db.QueryRow("SELECT sql FROM sqlite_master WHERE type='table' AND name=?", t.name).Scan(&have)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := db.Exec(t.sql); err != nil {
				return fmt.Errorf("create table %s: %w", t.name, err)
			}
		case err != nil:
			return fmt.Errorf("read schema (is this an SQLite file?): %w", err)
		case have != t.sql:
			return fmt.Errorf("table %s exists with an unexpected schema; this is not a re6st registry database", t.name)
		}
	}
	return nil
}

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
	QueryRow(query string, args ...any) *sql.Row
}

// getConfig returns a config value (nil when the row is absent).
func getConfig(q execer, name string) (any, error) {
	var v any
	err := q.QueryRow("SELECT value FROM config WHERE name=?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", name, err)
	}
	return v, nil
}

// setConfig stores a value; nil deletes the row. []byte values are stored
// as BLOBs (even when empty), strings as TEXT.
func setConfig(q execer, name string, v any) error {
	var err error
	if v == nil {
		_, err = q.Exec("DELETE FROM config WHERE name=?", name)
	} else {
		_, err = q.Exec("INSERT OR REPLACE INTO config VALUES (?, ?)", name, v)
	}
	if err != nil {
		return fmt.Errorf("write config %s: %w", name, err)
	}
	return nil
}

// asBytes reads a BLOB (or TEXT) config value; ok is false when absent.
func asBytes(v any) (b []byte, ok bool) {
	switch x := v.(type) {
	case []byte:
		return append([]byte{}, x...), true
	case string:
		return []byte(x), true
	}
	return nil, false
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}
