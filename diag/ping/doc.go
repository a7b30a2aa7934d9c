// Package ping sends ICMPv6 echo requests through pro-bing and streams the
// running statistics after every send and every reply.
package ping
