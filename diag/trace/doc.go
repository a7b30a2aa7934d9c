// Package trace is a traceroute6 that probes every hop at once, as mtr
// does, and streams per-hop statistics while it runs.
//
// Probes are UDP datagrams to an unused port (the classic traceroute) or
// ICMPv6 echo requests, sent with increasing hop limits. Answers arrive on a
// raw ICMPv6 socket (time exceeded, destination unreachable, echo reply) and
// are matched to their probe by the port or echo identifier and sequence
// number quoted back in them. A raw socket needs root or CAP_NET_RAW.
package trace
