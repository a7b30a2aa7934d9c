// Package demo builds a small re6st network in network namespaces: a
// registry with its own CA, and headless re6stnet nodes that enroll with
// it and form the overlay by themselves. `re6st-tui demo` shows one of
// its nodes; integration tests use it as a whole network.
package demo
