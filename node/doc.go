// Package node is the re6st node engine: identity, the registry client and
// server, the peer protocol on UDP 326, the peer cache, the tunnel manager
// and the node's lifecycle, with the event stream the UI reads.
package node
