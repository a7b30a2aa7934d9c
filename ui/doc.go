// Package ui holds the bubbletea models and lipgloss styles of re6st-tui.
// It renders snapshots and events from the node engine and sends commands
// back to it; it never touches the kernel or sockets itself.
package ui
