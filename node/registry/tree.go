package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// rowState is the state of one leaf of the prefix tree (one cert row).
type rowState uint8

const (
	rowFree      rowState = iota // cert IS NULL
	rowReserved                  // cert = 'reserved': never allocated
	rowAllocated                 // holds a certificate, or is being issued one
)

// ErrNoPrefix means the tree has no free block of the wanted size.
var ErrNoPrefix = errors.New("no more free prefix: the network is full for this prefix length")

// tree mirrors the cert table: its rows are the leaves of a binary trie
// covering the whole space below the network. Changes are applied to the
// mirror and recorded as SQL for the caller's transaction.
type tree struct {
	maxLen int
	rows   map[string]rowState
	free   []map[string]struct{} // free rows by length
}

func newTree(maxLen int) *tree {
	t := &tree{maxLen: maxLen, rows: map[string]rowState{}, free: make([]map[string]struct{}, 129)}
	for i := range t.free {
		t.free[i] = map[string]struct{}{}
	}
	return t
}

func (t *tree) set(p string, s rowState) {
	if old, ok := t.rows[p]; ok && old == rowFree {
		delete(t.free[len(p)], p)
	}
	t.rows[p] = s
	if s == rowFree {
		t.free[len(p)][p] = struct{}{}
	}
}

func (t *tree) remove(p string) {
	if t.rows[p] == rowFree {
		delete(t.free[len(p)], p)
	}
	delete(t.rows, p)
}

// stmt is one SQL statement to replay in the database.
type stmt struct {
	q    string
	args []any
}

// containing returns the row whose prefix is a prefix of p (there is one
// when the tree is consistent).
func (t *tree) containing(p string) (string, bool) {
	for i := len(p); i >= 0; i-- {
		if _, ok := t.rows[p[:i]]; ok {
			return p[:i], true
		}
	}
	return "", false
}

// alloc takes a free block of length len(community)+n inside community,
// splitting rows as needed, and marks it allocated. It follows re6st's
// newPrefix: the longest fitting free row is split, always keeping the 0
// side, and an all-zero full-length block is reserved and skipped.
func (t *tree) alloc(n int, community string) (string, []stmt, error) {
	total := n + len(community)
	if total <= 0 || total > t.maxLen {
		return "", nil, fmt.Errorf("prefix length %d+%d outside 1..%d", len(community), n, t.maxLen)
	}
	var ops []stmt
	for {
		prefix, ok := t.longestFree(community, total)
		if !ok {
			p, found := t.containing(community)
			if !found || t.rows[p] != rowFree {
				return "", ops, ErrNoPrefix
			}
			prefix = p
		}
		for x := len(prefix); x < total; x++ {
			b := byte('0')
			if x < len(community) {
				b = community[x]
			}
			sibling := prefix + string('0'+'1'-b)
			ops = append(ops, stmt{"UPDATE cert SET prefix = ? WHERE prefix = ?", []any{sibling, prefix}})
			t.remove(prefix)
			t.set(sibling, rowFree)
			prefix += string(b)
			ops = append(ops, stmt{"INSERT INTO cert VALUES (?,null,null)", []any{prefix}})
			t.set(prefix, rowFree)
		}
		if len(prefix) < t.maxLen || strings.Contains(prefix[len(community):], "1") {
			t.set(prefix, rowAllocated)
			return prefix, ops, nil
		}
		ops = append(ops, stmt{"UPDATE cert SET cert = 'reserved' WHERE prefix = ?", []any{prefix}})
		t.set(prefix, rowReserved)
	}
}

// longestFree finds the longest free row inside community no longer than
// max; among equals the smallest, so allocation is deterministic.
func (t *tree) longestFree(community string, max int) (string, bool) {
	for l := max; l >= len(community); l-- {
		best, found := "", false
		for p := range t.free[l] {
			if strings.HasPrefix(p, community) && (!found || p < best) {
				best, found = p, true
			}
		}
		if found {
			return best, true
		}
	}
	return "", false
}

// merge joins free siblings bottom-up, as re6st's mergePrefixes does.
func (t *tree) merge() []stmt {
	var ops []stmt
	for l := 128; l >= 1; l-- {
		if len(t.free[l]) < 2 {
			continue
		}
		ps := make([]string, 0, len(t.free[l]))
		for p := range t.free[l] {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		prev := ""
		for _, p := range ps {
			if prev != "" && p[:l-1] == prev[:l-1] {
				parent := p[:l-1]
				ops = append(ops,
					stmt{"UPDATE cert SET prefix = ? WHERE prefix = ?", []any{parent, prev}},
					stmt{"DELETE FROM cert WHERE prefix = ?", []any{p}})
				t.remove(prev)
				t.remove(p)
				t.set(parent, rowFree)
				prev = ""
			} else {
				prev = p
			}
		}
	}
	return ops
}

// release makes an allocated row free again (expired or revoked by CN).
func (t *tree) release(p string) { t.set(p, rowFree) }
