// Package tunnels runs OpenVPN tap tunnels to re6st peers and follows them
// through OpenVPN's management interface.
package tunnels
