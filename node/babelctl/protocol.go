// Package babelctl serves the binary control socket of re6st's patched
// babeld (its -X option, <run>/babeld.sock) from our Babel speaker. re6st's
// Python registry reads the routing table of the node beside it there to
// choose bootstrap peers and to list the nodes it asks for their versions;
// with this socket, that node can be ours.
//
// A client sends one byte, 1, then requests; each message, either way, is
// u16 type ‖ u32 body length ‖ body, big-endian. Type 1 asks for a dump of
// the tables its flag byte names; type 2 sets a neighbour's cost multiplier.
package babelctl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
)

// Message types.
const (
	TypeDump              = 1
	TypeSetCostMultiplier = 2
)

// Dump flags: re6st asks for interfaces, neighbours and installed routes.
const (
	DumpInterfaces = 1 << 0
	DumpNeighbours = 1 << 1
	DumpXroutes    = 1 << 2
	DumpRoutes     = 1 << 3
)

// hello is the byte a client sends first.
const hello = 1

const headerSize = 6

// maxRequest bounds a request's body: the largest, a cost multiplier, is
// 22 bytes; anything much larger is not this protocol.
const maxRequest = 1024

// Request is one decoded request.
type Request struct {
	Type uint16
	// Flags of a dump.
	Flags byte
	// Neighbour and Multiplier of a cost multiplier request.
	Addr       netip.Addr
	Ifindex    uint32
	Multiplier uint16
}

// ErrProtocol wraps every malformed request.
var ErrProtocol = errors.New("babeld control protocol")

// ReadRequest reads one request from r. io.EOF means the client closed
// between requests.
func ReadRequest(r io.Reader) (Request, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Request{}, fmt.Errorf("%w: truncated header", ErrProtocol)
		}
		return Request{}, err
	}
	typ, size := binary.BigEndian.Uint16(h[:2]), binary.BigEndian.Uint32(h[2:])
	if size > maxRequest {
		return Request{}, fmt.Errorf("%w: a request of %d bytes", ErrProtocol, size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return Request{}, fmt.Errorf("%w: truncated body: %v", ErrProtocol, err)
	}
	return ParseRequest(typ, body)
}

// ParseRequest decodes the body of a request of type typ.
func ParseRequest(typ uint16, body []byte) (Request, error) {
	req := Request{Type: typ}
	switch typ {
	case TypeDump:
		if len(body) != 1 {
			return req, fmt.Errorf("%w: dump request of %d bytes, want 1", ErrProtocol, len(body))
		}
		req.Flags = body[0]
	case TypeSetCostMultiplier:
		if len(body) != 22 {
			return req, fmt.Errorf("%w: cost multiplier request of %d bytes, want 22", ErrProtocol, len(body))
		}
		req.Addr = netip.AddrFrom16([16]byte(body[:16])).Unmap()
		req.Ifindex = binary.BigEndian.Uint32(body[16:20])
		req.Multiplier = binary.BigEndian.Uint16(body[20:22])
	default:
		return req, fmt.Errorf("%w: unknown request type %d", ErrProtocol, typ)
	}
	return req, nil
}

// AppendMessage appends a message of type typ with body to b.
func AppendMessage(b []byte, typ uint16, body []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)))
	return append(b, body...)
}
