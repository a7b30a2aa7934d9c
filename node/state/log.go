package state

import (
	"log/slog"
	"time"
)

// LogRecord is one line of the node's log: its own slog records and the
// tailed logs of child processes, each labelled by Source.
type LogRecord struct {
	Time    time.Time  `json:"time"`
	Level   slog.Level `json:"level"`
	Source  string     `json:"source"` // "node", "openvpn re6stnet2", "babel", ...
	Message string     `json:"msg"`
	Attrs   []Attr     `json:"attrs,omitempty"`
}

// Attr is a log attribute already turned into text.
type Attr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}
