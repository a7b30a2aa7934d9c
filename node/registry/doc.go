// Package registry is a re6st registry: it hands out certificates whose CN
// is a node's prefix, serves the signed network configuration, and answers
// the registry HTTP API with re6st's session scheme, status codes and
// SQLite database (registry.db), so that it can replace the Python registry
// on the same database and serve Python and Go nodes alike.
//
// State lives in SQLite (the source of truth, re6st's exact schema) and is
// mirrored in memory (prefix tree, certificate index, used subject serials)
// so that issuing a certificate never rereads the whole database.
package registry
