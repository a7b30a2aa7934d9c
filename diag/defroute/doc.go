// Package defroute keeps an unqualified IPv6 default route through re6st's
// current gateway.
//
// Babel installs re6st's default route as "default from <network>", so only
// traffic sourced from the re6st network uses it, and a router-advertised
// default keeps the rest. A user who wants all traffic through re6st gets
// a copy of that route without "from", proto static, with a metric below
// every other default. The copy follows Babel's choice of next hop as it
// changes, disappears while there is no re6st default, and is removed on
// revert, leaving the routing table as it was.
package defroute
