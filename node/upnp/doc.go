// Package upnp makes a node's OpenVPN servers reachable from behind a
// home router: it finds the Internet gateway through UPnP IGD, learns its
// external IPv4 address, maps each IPv4 server port on it, keeps the
// mappings alive, and removes them when the node stops. The node then
// advertises the gateway's address and the mapped ports.
//
// As re6st does, the external port is chosen at random in 32768–49151,
// another one is tried when the gateway reports a conflict, and the
// mappings are renewed every 500 s.
package upnp
