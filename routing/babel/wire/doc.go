// Package wire encodes and decodes Babel packets (RFC 8966) as babeld 1.12
// speaks them: every TLV and sub-TLV babeld sends or accepts, prefix
// compression, the per-packet router-id/next-hop/default-prefix state,
// source-specific prefixes (RFC 9079), RTT timestamps (RFC 9616) and the MAC
// trailer, packet counter and challenges of RFC 8967.
//
// Decoding never panics: a malformed TLV is dropped and reported in
// [Packet.Drops], a malformed packet is rejected with an error. The decoder
// resolves the parser state, so every [Update] it returns carries its full
// prefix, router-id and next hop.
package wire
