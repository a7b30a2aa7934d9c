// Package netsetup prepares a node's own network namespace: the node
// address on the main interface, unreachable routes so that packets for
// unallocated parts of the network are rejected instead of leaking to the
// default route, IPv4 payload routes, and forwarding. Every change is first
// written to a journal, so that stopping undoes exactly what was done, and a
// run that crashed is undone at the next start.
package netsetup
