// Package routing is the node's Babel speaker (RFC 8966, 9079 and 8967) and
// the installation of its routes into the kernel.
package routing
