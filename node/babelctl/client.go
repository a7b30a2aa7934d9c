package babelctl

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

// Dump is a decoded dump answer.
type Dump struct {
	Interfaces []DumpInterface
	Neighbours []DumpNeighbour
	Xroutes    []DumpXroute
	Routes     []DumpRoute
}

type DumpInterface struct {
	Index uint32
	Name  string
}

type DumpNeighbour struct {
	Addr                                netip.Addr
	Ifindex                             uint32
	Reach, RxCost, TxCost, RTT, RTTCost uint16
	Channel                             int32
	Up                                  bool
	Multiplier                          uint16
}

type DumpXroute struct {
	Prefix netip.Prefix
	Metric uint16
}

type DumpRoute struct {
	Prefix                      netip.Prefix
	Metric, Smoothed, RefMetric uint16
	RouterID                    [8]byte
	Seqno, Age                  int32
	Ifindex                     uint32
	Neighbour, NextHop          netip.Addr
	Installed                   bool
}

// Item sizes, but for an interface's name.
const (
	neighbourSize = 38
	xrouteSize    = 19
	routeSize     = 76
)

// maxAnswer bounds a dump answer: four arrays of at most 65,535 items.
const maxAnswer = 4 + 0xFFFF*(4+256) + 0xFFFF*neighbourSize + 0xFFFF*xrouteSize + 0xFFFF*routeSize

// Query connects to the control socket at path and asks for the tables
// flags names.
func Query(ctx context.Context, path string, flags byte) (Dump, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return Dump{}, err
	}
	defer c.Close()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(5 * time.Second) // re6st's registry waits as long
	}
	c.SetDeadline(deadline)
	if _, err := c.Write(AppendMessage([]byte{hello}, TypeDump, []byte{flags})); err != nil {
		return Dump{}, err
	}
	r := bufio.NewReader(c)
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Dump{}, fmt.Errorf("%s: %w", path, err)
	}
	typ, size := binary.BigEndian.Uint16(h[:2]), binary.BigEndian.Uint32(h[2:])
	if typ != TypeDump || size > maxAnswer {
		return Dump{}, fmt.Errorf("%s: %w: answer of type %d and %d bytes to a dump", path, ErrProtocol, typ, size)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return Dump{}, fmt.Errorf("%s: %w", path, err)
	}
	return ParseDump(body)
}

// ParseDump decodes the body of a dump answer.
func ParseDump(body []byte) (Dump, error) {
	p := parser{b: body}
	var d Dump
	for n := p.count(); n > 0 && p.need(5); n-- {
		index := p.u32()
		name := p.cstring()
		d.Interfaces = append(d.Interfaces, DumpInterface{index, name})
	}
	for n := p.count(); n > 0 && p.need(n*neighbourSize); n-- {
		d.Neighbours = append(d.Neighbours, DumpNeighbour{
			Addr: p.addr(), Ifindex: p.u32(), Reach: p.u16(), RxCost: p.u16(), TxCost: p.u16(),
			RTT: p.u16(), RTTCost: p.u16(), Channel: int32(p.u32()), Up: p.u16() != 0, Multiplier: p.u16()})
	}
	for n := p.count(); n > 0 && p.need(n*xrouteSize); n-- {
		d.Xroutes = append(d.Xroutes, DumpXroute{Prefix: p.prefix(), Metric: p.u16()})
	}
	for n := p.count(); n > 0 && p.need(n*routeSize); n-- {
		r := DumpRoute{Prefix: p.prefix(), Metric: p.u16(), Smoothed: p.u16(), RefMetric: p.u16()}
		copy(r.RouterID[:], p.bytes(8))
		r.Seqno, r.Age, r.Ifindex = int32(p.u32()), int32(p.u32()), p.u32()
		r.Neighbour, r.NextHop = p.addr(), p.addr()
		r.Installed = p.u8()&1 != 0
		d.Routes = append(d.Routes, r)
	}
	if p.err != nil {
		return Dump{}, p.err
	}
	if len(p.b) != 0 {
		return Dump{}, fmt.Errorf("%w: %d bytes after the routes", ErrProtocol, len(p.b))
	}
	return d, nil
}

// parser reads big-endian fields; past the end it yields zeros and
// records the error.
type parser struct {
	b   []byte
	err error
}

func (p *parser) bytes(n int) []byte {
	if p.err != nil {
		return make([]byte, n)
	}
	if len(p.b) < n {
		p.err = fmt.Errorf("%w: dump truncated", ErrProtocol)
		return make([]byte, n)
	}
	v := p.b[:n]
	p.b = p.b[n:]
	return v
}

// need checks that n more bytes are there, so that a count is not
// trusted to size anything.
func (p *parser) need(n int) bool {
	if p.err == nil && len(p.b) < n {
		p.err = fmt.Errorf("%w: dump truncated", ErrProtocol)
	}
	return p.err == nil
}

func (p *parser) u8() uint8   { return p.bytes(1)[0] }
func (p *parser) u16() uint16 { return binary.BigEndian.Uint16(p.bytes(2)) }
func (p *parser) u32() uint32 { return binary.BigEndian.Uint32(p.bytes(4)) }
func (p *parser) count() int  { return int(p.u16()) }

func (p *parser) addr() netip.Addr {
	return netip.AddrFrom16([16]byte(p.bytes(16))).Unmap()
}

// prefix reads 16 bytes and a length, IPv4 v4-mapped.
func (p *parser) prefix() netip.Prefix {
	a16 := [16]byte(p.bytes(16))
	bits := int(p.u8())
	a := netip.AddrFrom16(a16)
	if a.Is4In6() {
		if bits < 96 {
			p.fail("an IPv4 prefix of length %d", bits)
			return netip.Prefix{}
		}
		a, bits = a.Unmap(), bits-96
	}
	pfx, err := a.Prefix(bits)
	if err != nil {
		p.fail("prefix %s/%d", a, bits)
	}
	return pfx
}

func (p *parser) cstring() string {
	if p.err != nil {
		return ""
	}
	for i, c := range p.b {
		if c == 0 {
			s := string(p.b[:i])
			p.b = p.b[i+1:]
			return s
		}
	}
	p.err = fmt.Errorf("%w: interface name without its end", ErrProtocol)
	return ""
}

func (p *parser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
	}
}
