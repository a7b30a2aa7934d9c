// Package doctor runs the checks behind `re6st-tui doctor`: each finds one
// classic way a host's own configuration breaks re6st, explains it in one
// line and, where it can, offers a fix that changes the system only through
// netlink or sysctl calls it records and can undo.
//
// The checks read the system through [System] and [Runner], so unit tests
// run them against fakes; what only the node knows (its network, address,
// certificates, tunnels) comes in through [Node].
package doctor
