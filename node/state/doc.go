// Package state holds the plain data the node engine shares with its
// clients: the [State] snapshot and the [Event] stream that keeps a copy of
// it current. Every type is JSON-tagged data with no behaviour beyond
// bookkeeping, so the same values travel over the control socket that
// `re6st-tui --attach` reads, and the package imports nothing of the engine.
package state
