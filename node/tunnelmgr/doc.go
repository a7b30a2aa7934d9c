// Package tunnelmgr decides which client tunnels a re6st node keeps, with
// re6st's rules: client_count tunnels to distant peers chosen from the
// routing table, addresses from the cache or asked from the peer,
// bootstrap from the registry when the node is cut off, one tunnel
// rotated out every tunnel_refresh by the make-before-break tunnel killer,
// at most one tunnel between two nodes, and no tunnel across the borders
// the network's same_country draws.
//
// The Manager only decides: routing, tunnels, peer messages and the
// registry are behind small interfaces the node implements.
package tunnelmgr
