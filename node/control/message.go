package control

import (
	"encoding/json"
	"errors"
	"fmt"

	"re6st-tui/node/state"
)

// Version is the protocol version this package speaks. A peer with
// another version is refused at hello.
const Version = 1

// Protocol names the protocol in the hello, so that a client pointed at
// some other socket fails clearly.
const Protocol = "re6st-control"

// Operations a client may request.
const (
	OpHello       = "hello"
	OpSnapshot    = "snapshot"
	OpSubscribe   = "subscribe"
	OpKillTunnel  = "kill_tunnel"
	OpConnectPeer = "connect_peer"
	OpRefresh     = "refresh_network_config"
	OpRebootstrap = "rebootstrap"
	OpTrace       = "trace"
	OpApplyFix    = "apply_fix"
	OpRevertFix   = "revert_fix"
	OpCancel      = "cancel"
)

// Line limits. A request is small; a reply may hold a snapshot of a large
// network (10,000 routes take about 3 MB of JSON).
const (
	maxRequestLine = 64 << 10
	maxReplyLine   = 256 << 20
)

// Request is one line a client sends.
type Request struct {
	ID       uint64 `json:"id"`
	Op       string `json:"op"`
	Protocol string `json:"protocol,omitempty"` // hello
	Version  int    `json:"version,omitempty"`  // hello
	Arg      string `json:"arg,omitempty"`      // tunnel or finding ID, prefix, trace destination
	Cancel   uint64 `json:"cancel,omitempty"`   // cancel: the ID of the request to end
}

// Hello is the server's answer to the client's hello.
type Hello struct {
	Protocol string `json:"protocol"`
	Version  int    `json:"version"`
}

// Reply is one line the server sends. End marks the last reply to a
// request; Error, when set, says why it failed.
type Reply struct {
	ID       uint64       `json:"id"`
	End      bool         `json:"end,omitempty"`
	Error    string       `json:"error,omitempty"`
	Hello    *Hello       `json:"hello,omitempty"`
	Snapshot *state.State `json:"snapshot,omitempty"`
	Event    *state.Event `json:"event,omitempty"`
	Hop      *state.Hop   `json:"hop,omitempty"`
}

var errEmptyLine = errors.New("empty line")

// decodeRequest parses and checks one request line.
func decodeRequest(line []byte) (Request, error) {
	var r Request
	if len(line) == 0 {
		return r, errEmptyLine
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("request is not JSON: %w", err)
	}
	if r.ID == 0 {
		return r, errors.New("request has no id: number every request from 1")
	}
	switch r.Op {
	case OpHello, OpSnapshot, OpSubscribe, OpRefresh, OpRebootstrap:
	case OpKillTunnel, OpConnectPeer, OpTrace, OpApplyFix, OpRevertFix:
		if r.Arg == "" {
			return r, fmt.Errorf("request %d: %s needs an arg", r.ID, r.Op)
		}
	case OpCancel:
		if r.Cancel == 0 {
			return r, fmt.Errorf("request %d: cancel needs the id of the request to end", r.ID)
		}
	default:
		return r, fmt.Errorf("request %d: unknown op %q; the node may be older than this client", r.ID, r.Op)
	}
	return r, nil
}

// decodeReply parses and checks one reply line.
func decodeReply(line []byte) (Reply, error) {
	var r Reply
	if len(line) == 0 {
		return r, errEmptyLine
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("reply is not JSON: %w", err)
	}
	n := 0
	for _, set := range []bool{r.Hello != nil, r.Snapshot != nil, r.Event != nil, r.Hop != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return r, fmt.Errorf("reply %d carries %d payloads, want at most one", r.ID, n)
	}
	if r.Error != "" && !r.End {
		return r, fmt.Errorf("reply %d has an error but does not end its request", r.ID)
	}
	return r, nil
}
