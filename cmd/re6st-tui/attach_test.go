package main

import (
	"re6st-tui/node/control"
	"re6st-tui/ui"
)

// `--attach` shows a node through its control socket, so the socket's
// client must be an engine to the dashboard.
var _ ui.Engine = (*control.Client)(nil)
