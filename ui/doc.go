// Package ui holds the bubbletea models and lipgloss styles of re6st-tui.
// It renders snapshots and events from the node engine and sends commands
// back to it; it never touches the kernel or sockets itself.
//
// [Model] is the dashboard: a header with the node's identity, state and
// UPnP mappings (upnp.go), the Peers, Routes, Babel, Logs and Trace tabs
// (one file each, with peersview.go, explain.go for the cross-layer route
// explanation), the doctor's findings (doctor.go, D), the default-route
// banner and a footer with key help. It reads the engine
// through [Engine]: a [state.State] snapshot kept current by applying the
// [state.Event] stream, with time brought in by tick messages so that View
// reads nothing but the model. Small tables are rebuilt on each event; the
// big ones (kernel routes, Babel routes and sources) take each change by
// bisection into their sorted rows (rowset.go), with the state's rows
// found through an index (stateindex.go), so that a burst of route
// changes on a node with ten thousand routes costs about a millisecond.
//
// [Wizard] is the enrollment wizard, driven through [Enroller].
//
// ui/fake is an in-memory engine and enroller for tests and demos.
package ui
