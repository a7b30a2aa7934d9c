package cache

import (
	"context"
	"database/sql"
	"fmt"
)

// tables are the CREATE TABLE statements exactly as re6st writes them:
// re6st compares the stored text and starts over on any difference.
var tables = []struct{ name, sql string }{
	{"peer", "CREATE TABLE peer (\n  prefix TEXT PRIMARY KEY NOT NULL,\n  address TEXT NOT NULL)"},
	{"config", "CREATE TABLE config (\n  name TEXT PRIMARY KEY NOT NULL,\n  value)"},
}

// errSchema marks a database whose tables are not re6st's.
type errSchema struct{ table, got string }

func (e errSchema) Error() string {
	return fmt.Sprintf("table %s has an unexpected schema: %q", e.table, e.got)
}

// ensureSchema creates missing tables and checks the others.
func ensureSchema(ctx context.Context, conn *sql.Conn) error {
	for _, t := range tables {
		var got string
		err := conn.QueryRowContext(ctx,
			"SELECT sql FROM sqlite_master WHERE type='table' AND name=?", t.name).Scan(&got)
		switch {
		case err == sql.ErrNoRows:
			if _, err := conn.ExecContext(ctx, t.sql); err != nil {
				return fmt.Errorf("create table %s: %w", t.name, err)
			}
		case err != nil:
			return fmt.Errorf("read schema of %s: %w", t.name, err)
		case got != t.sql:
			return errSchema{t.name, got}
		}
	}
	return nil
}
