// Package regclient is a client of the re6st registry HTTP API: every RPC,
// the hello handshake and rolling HMAC session (with one fresh hello and
// retry when the registry lost the session, e.g. after a restart), and
// verification of every authenticated response.
package regclient
