// Package diag finds and fixes the host problems that keep a re6st node
// from working: traceroute6, ping, doctor checks and the default-route
// conflict fixes.
package diag
