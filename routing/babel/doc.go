// Package babel is a Babel routing speaker (RFC 8966) with source-specific
// routing (RFC 9079), RTT-based costs (RFC 9616) and MAC authentication
// (RFC 8967) that babeld 1.12 accepts as a peer.
//
// The protocol logic lives in a single-threaded state machine driven by
// explicit times (see [Speaker.Run]); the packet I/O ([Transport]) and the
// kernel ([Kernel]) are interfaces, so tests run several speakers in memory
// with a fake clock.
package babel
