// Package tap creates, brings up and removes the persistent tap devices the
// tunnels run on, with netlink, and hands out client device names from a
// free list as re6st does (re6stnet1..N, reused lowest first).
package tap
