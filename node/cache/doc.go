// Package cache is the node's peer cache, cache.db: the addresses of peers
// met so far and the last network configuration received from the
// registry. Its schema is re6st's, byte for byte, so a cache.db written by a
// Python node keeps working and the other way round.
package cache
