// Package system is diag's window on the kernel: IPv6 routes including
// their source prefix (RTA_SRC, which re6st's "default from <network>"
// routes carry), IPv4 routes, route change notifications, sysctls and links, optionally
// inside a named network namespace.
//
// It talks netlink directly because checks must see source-specific routes,
// which vishvananda/netlink's Route type does not carry.
package system
