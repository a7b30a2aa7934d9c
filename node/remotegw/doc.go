// Package remotegw sends a node's tunnels through chosen IPv4 gateways
// (re6stnet --remote-gateway): each IPv4 address a client tunnel dials
// gets a host route (/32) through one of them, the gateways taken in
// turn. Several tunnels may dial the same address, so routes are counted
// and removed with their last user, and all of them when the node stops.
//
// A peer that dialled one of our servers counts as a user without a
// route: its packets came by the host's usual path, and a host route
// through another gateway would send our answers astray.
//
// Routes are written to a journal before they are made, so the next
// start removes what a crashed run left behind.
package remotegw
