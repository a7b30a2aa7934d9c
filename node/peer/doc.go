// Package peer speaks re6st's node-to-node protocol on UDP port 326: the
// certificate exchange (hello0), RSA-protected session secrets (hello),
// HMAC-authenticated data messages with strictly increasing sequence
// numbers, and the local channel on [::1]:326 through which the registry
// asks the network questions. It also reads and writes the address lists
// nodes exchange.
//
// A [Protocol] owns no socket: it consumes datagrams and returns the
// datagrams to send, so the node runs it in one goroutine and tests run
// several in memory.
package peer
