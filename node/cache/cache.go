package cache

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DefaultSize is how many peers the cache keeps, as re6st does.
const DefaultSize = 200

// Peer is a cached peer: its prefix (binary string) and address list.
type Peer struct {
	Prefix  string
	Address string
}

// Cache is an open cache.db. Its methods are safe for concurrent use.
type Cache struct {
	self string // our own prefix, never returned as a peer
	size int

	mu sync.Mutex
	// conn is the single connection, guarded by mu: the volatile table of
	// connection attempts lives in an in-memory database attached to it.
	conn *sql.Conn
	db   *sql.DB
}

// Open opens or creates the cache at path for the node whose prefix is
// self. A file whose schema is not re6st's is moved to path+".bak" and an
// empty cache is started, as re6st does.
func Open(ctx context.Context, path, self string) (*Cache, error) {
	c, err := open(ctx, path, self)
	var bad errSchema
	if errors.As(err, &bad) {
		if err := os.Rename(path, path+".bak"); err != nil {
			return nil, fmt.Errorf("move aside cache with bad schema: %w", err)
		}
		c, err = open(ctx, path, self)
	}
	if err != nil {
		return nil, fmt.Errorf("open peer cache %s: %w", path, err)
	}
	return c, nil
}

func open(ctx context.Context, path, self string) (*Cache, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	c := &Cache{self: self, size: DefaultSize, conn: conn, db: db}
	steps := []string{
		"PRAGMA synchronous = OFF",
		"PRAGMA journal_mode = MEMORY",
	}
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	if err := ensureSchema(ctx, conn); err != nil {
		c.Close()
		return nil, err
	}
	steps = []string{
		`ATTACH DATABASE ':memory:' AS volatile`,
		"CREATE TABLE volatile.stat (peer TEXT PRIMARY KEY NOT NULL, try INTEGER NOT NULL DEFAULT 0)",
		"CREATE INDEX volatile.stat_try ON stat(try)",
		"INSERT INTO volatile.stat (peer) SELECT prefix FROM peer WHERE prefix != ''",
	}
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			c.Close()
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return c, nil
}

// Close closes the database.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(c.conn.Close(), c.db.Close())
}

// AddPeer records a peer's address list. For a known peer the lists are
// merged: with preferred, address names the entries that just worked and
// they move to the front of the known list; otherwise the new list is kept,
// in the known order for entries already known. Adding a new peer first
// trims the cache to its size, failed peers first. Either way the peer is
// no longer marked as failing.
func (c *Cache) AddPeer(ctx context.Context, prefix, address string, preferred bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tx(ctx, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, "SELECT address FROM peer WHERE prefix=?", prefix).Scan(&old)
		switch {
		case err == sql.ErrNoRows:
			if err := minimize(ctx, tx, c.size); err != nil {
				return err
			}
		case err != nil:
			return err
		case preferred:
			address = orderBy(old, address)
		default:
			address = orderBy(address, old)
		}
		if address != old {
			if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO peer VALUES (?,?)", prefix, address); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "INSERT OR REPLACE INTO volatile.stat VALUES (?,0)", prefix)
		return err
	})
}

// orderBy sorts the entries of list by their position in order; entries
// missing from order keep their relative order, after the others.
func orderBy(list, order string) string {
	rank := map[string]int{}
	for i, e := range strings.Split(order, ";") {
		if _, ok := rank[e]; !ok {
			rank[e] = i
		}
	}
	entries := strings.Split(list, ";")
	pos := func(e string) int {
		if r, ok := rank[e]; ok {
			return r
		}
		return len(rank)
	}
	sorted := make([]string, 0, len(entries))
	for r := 0; r <= len(rank); r++ {
		for _, e := range entries {
			if pos(e) == r {
				sorted = append(sorted, e)
			}
		}
	}
	return strings.Join(sorted, ";")
}

func (c *Cache) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := c.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// minimize keeps at most size peers: the ones being tried are dropped
// first, then random ones.
func minimize(ctx context.Context, q execer, size int) error {
	rows, err := q.QueryContext(ctx, "SELECT peer FROM volatile.stat ORDER BY try, RANDOM() LIMIT ?,-1", size)
	if err != nil {
		return err
	}
	var drop []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		drop = append(drop, p)
	}
	rows.Close()
	for _, p := range drop {
		if _, err := q.ExecContext(ctx, "DELETE FROM peer WHERE prefix=?", p); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, "DELETE FROM volatile.stat WHERE peer=?", p); err != nil {
			return err
		}
	}
	return nil
}

// Minimize trims the cache to size peers; the node does it at exit with
// its client count.
func (c *Cache) Minimize(ctx context.Context, size int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tx(ctx, func(tx *sql.Tx) error { return minimize(ctx, tx, size) })
}

// Connecting marks a peer as being tried (true) until the attempt succeeds
// (false). A peer being tried is not offered again before a restart.
func (c *Cache) Connecting(ctx context.Context, prefix string, trying bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.conn.ExecContext(ctx, "UPDATE volatile.stat SET try=? WHERE peer=?", boolInt(trying), prefix)
	return err
}

// ResetConnecting clears every attempt mark.
func (c *Cache) ResetConnecting(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.conn.ExecContext(ctx, "UPDATE volatile.stat SET try=0")
	return err
}

// Address returns the address list of a peer that is not being tried.
func (c *Cache) Address(ctx context.Context, prefix string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a string
	err := c.conn.QueryRowContext(ctx,
		"SELECT address FROM peer, volatile.stat WHERE prefix=? AND prefix=peer AND try=0", prefix).Scan(&a)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	return a, err == nil, err
}

// Peers returns, in random order, the peers other than us that are being
// tried (failed) or not.
func (c *Cache) Peers(ctx context.Context, failed bool) ([]Peer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rows, err := c.conn.QueryContext(ctx,
		"SELECT prefix, address FROM peer, volatile.stat WHERE prefix=peer AND prefix!=? AND try=? ORDER BY RANDOM()",
		c.self, boolInt(failed))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var peers []Peer
	for rows.Next() {
		var p Peer
		if err := rows.Scan(&p.Prefix, &p.Address); err != nil {
			return nil, err
		}
		peers = append(peers, p)
	}
	return peers, rows.Err()
}

// MyAddress returns our own address list as last advertised ("" if none).
func (c *Cache) MyAddress(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a string
	err := c.conn.QueryRowContext(ctx, "SELECT address FROM peer WHERE prefix=''").Scan(&a)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return a, err
}

// SetMyAddress stores our own address list; "" removes it.
func (c *Cache) SetMyAddress(ctx context.Context, address string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if address == "" {
		_, err = c.conn.ExecContext(ctx, "DELETE FROM peer WHERE prefix=''")
	} else {
		_, err = c.conn.ExecContext(ctx, "INSERT OR REPLACE INTO peer VALUES ('', ?)", address)
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
