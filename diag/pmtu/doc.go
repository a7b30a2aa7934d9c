// Package pmtu measures the path MTU to an IPv6 address with ICMPv6 echo
// requests that must not be fragmented, and tells a working path MTU
// discovery (the network answers "packet too big") from a black hole
// (big packets vanish without a word).
package pmtu
