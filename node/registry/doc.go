// Package registry is a re6st registry: it hands out certificates whose CN
// is a node's prefix, serves the signed network configuration, and answers
// the registry HTTP API with re6st's session scheme, status codes and
// SQLite database (registry.db), so that it can replace the Python registry
// on the same database and serve Python and Go nodes alike.
//
// State lives in SQLite (the source of truth, re6st's exact schema) and is
// mirrored in memory (prefix tree, certificate index, used subject serials)
// so that issuing a certificate never rereads the whole database. The CA
// signature of a new certificate is made outside the lock.
//
// Where re6st's registry has a bug, this one does what was meant: an empty
// cn= still needs a session; getIPv4Information asks the node; an empty
// babel accept key is sent as ""; the GeoIP address of a request without
// ip= is the TCP peer (or X-Forwarded-For), not the Host header. It also
// answers getCountry without a GeoIP database with 204 (unknown) rather
// than 400, and refuses with 400 a certificate request whose key size
// differs from the CA's (such a node could not open a session) or whose
// location is not "CC,CONT".
package registry
