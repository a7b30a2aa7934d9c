package openvpn

import (
	"net/netip"
	"time"
)

// Message is one parsed unit of the management stream: a real-time
// notification or the answer to a command.
type Message interface{ message() }

// State is a >STATE: notification (or a line of `state` output).
type State struct {
	Time   time.Time
	Name   string // CONNECTING, WAIT, AUTH, GET_CONFIG, ASSIGN_IP, CONNECTED, RECONNECTING, EXITING, ...
	Desc   string // reason on RECONNECTING/EXITING, "SUCCESS" on CONNECTED
	Local  string // TUN/TAP local IPv4 address, if any
	Remote netip.AddrPort
	Bound  netip.AddrPort // local end of the underlay socket
}

// ByteCount is a >BYTECOUNT: (client, CID < 0) or >BYTECOUNT_CLI: (server)
// notification.
type ByteCount struct {
	CID     int64 // -1 in client mode
	In, Out uint64
}

// Client is a multi-line >CLIENT: notification with its environment.
type Client struct {
	Event string // CONNECT, REAUTH, ESTABLISHED, DISCONNECT, ADDRESS, CR_RESPONSE
	CID   int64
	KID   int64 // -1 when the event has none
	Env   map[string]string
}

// Log is a >LOG: notification: flags are OpenVPN's (I, F, N, W, D).
type Log struct {
	Time  time.Time
	Flags string
	Text  string
}

// Notice is any other real-time notification (>HOLD:, >INFO:, >FATAL:,
// >ECHO:, ...) kept as its source keyword and text.
type Notice struct {
	Source string
	Text   string
}

// Result answers a command: SUCCESS: or ERROR:.
type Result struct {
	OK   bool
	Text string
}

// Line is a line of multi-line command output (up to and including END).
type Line struct{ Text string }

func (State) message()     {}
func (ByteCount) message() {}
func (Client) message()    {}
func (Log) message()       {}
func (Notice) message()    {}
func (Result) message()    {}
func (Line) message()      {}
