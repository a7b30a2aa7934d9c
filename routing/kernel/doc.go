// Package kernel installs the Babel speaker's routes into the Linux kernel
// with netlink, as protocol babel (42), including source-specific routes
// (RTA_SRC), and removes every route it installed on stop or, after a crash,
// at the next start. [Fake] stands in for the kernel in unit tests.
package kernel
