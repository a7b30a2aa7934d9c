// Package diag finds and fixes the host problems that keep a re6st node
// from working: traceroute6 (diag/trace), ping (diag/ping), doctor checks
// (diag/doctor) and the default-route conflict fix (diag/defroute). This
// package holds what they share: the record of a change made to the system.
package diag
