// Package fake is a node engine that makes up a believable re6st node:
// tunnels, Babel tables, kernel routes, logs, a default-route finding and
// traceroutes. It backs the dashboard's tests and `re6st-tui --fake`, and
// it changes nothing outside its own memory.
package fake
