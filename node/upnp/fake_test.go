package upnp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// fakeGateway is an in-memory IGD.
type fakeGateway struct {
	mu        sync.Mutex
	ext       netip.Addr
	local     netip.Addr
	maps      map[string]Mapping // by "proto/port"
	conflicts int                // Add fails with ErrConflict this many more times
	permOnly  bool
	fail      error // every call fails with it when set
	adds      int
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{ext: netip.MustParseAddr("198.18.0.1"), local: netip.MustParseAddr("198.19.0.11"),
		maps: map[string]Mapping{}}
}

func key(proto string, port uint16) string { return fmt.Sprintf("%s/%d", proto, port) }

func (g *fakeGateway) LocalAddr() netip.Addr { return g.local }

func (g *fakeGateway) ExternalIP(ctx context.Context) (netip.Addr, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ext, g.fail
}

func (g *fakeGateway) Add(ctx context.Context, m Mapping) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.adds++
	if g.fail != nil {
		return g.fail
	}
	if g.conflicts > 0 {
		g.conflicts--
		return ErrConflict
	}
	k := key(m.Proto, m.External.Port())
	if old, ok := g.maps[k]; ok && (old.Client != m.Client || old.Internal != m.Internal) {
		return ErrConflict
	}
	if g.permOnly && m.Lease != 0 {
		return ErrPermanentOnly
	}
	m.External = netip.AddrPortFrom(g.ext, m.External.Port())
	g.maps[k] = m
	return nil
}

func (g *fakeGateway) Delete(ctx context.Context, proto string, port uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	delete(g.maps, key(proto, port))
	return nil
}

func (g *fakeGateway) List(ctx context.Context) ([]Mapping, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Mapping
	for _, m := range g.maps {
		out = append(out, m)
	}
	return out, g.fail
}

func (g *fakeGateway) set(fn func(g *fakeGateway)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(g)
}

var errGone = errors.New("gateway gone")
