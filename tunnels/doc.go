// Package tunnels runs OpenVPN tap tunnels to re6st peers and follows them
// through OpenVPN's management interface.
//
// A [Manager] owns the tap devices (package tap) and the openvpn children
// (package openvpn): one server per protocol the node serves, one client
// per outgoing tunnel. It replaces re6st's hook scripts with management
// events: client-connect is a verdict given by [Config.Admit], route-up is
// the [Connected] event, the up hook is done with netlink. Everything that
// happens is reported as an [Event].
package tunnels
