// Package openvpn speaks OpenVPN's management interface and supervises
// openvpn processes.
//
// The management protocol is line based: real-time notifications start with
// '>' (some, like >CLIENT:, span several lines ended by >CLIENT:ENV,END) and
// command answers are SUCCESS:/ERROR: lines. [Parser] turns lines into typed
// messages, [Conn] sends commands and hands out notifications, and [Process]
// runs one openvpn child whose management interface connects back to us.
package openvpn
