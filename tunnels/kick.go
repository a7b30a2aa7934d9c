package tunnels

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DisconnectServed makes our servers drop the served peers for which drop
// reports true, with OpenVPN's client-kill, and returns them. The other
// clients of the same server stay connected (re6st restarts the whole node
// for a revoked client). A dropped client is told to restart, which a re6st
// client tunnel (--remap-usr1 SIGTERM) takes as an exit; its
// PeerDisconnected event follows. Pair it with Config.CRLDir or Admit so
// that it cannot come straight back.
func (m *Manager) DisconnectServed(ctx context.Context, drop func(Tunnel) bool) ([]Tunnel, error) {
	type victim struct {
		s   *server
		cid int64
		t   Tunnel
	}
	var vs []victim
	m.mu.Lock()
	for key, t := range m.snap {
		if !t.Server || !drop(t) {
			continue
		}
		iface, cid, ok := parseServedKey(key)
		if s := m.serverOn(iface); ok && s != nil {
			vs = append(vs, victim{s, cid, t})
		}
	}
	m.mu.Unlock()
	var out []Tunnel
	var errs []error
	for _, v := range vs {
		if _, err := v.s.proc.Conn().Command(ctx, "client-kill "+strconv.FormatInt(v.cid, 10)); err != nil {
			errs = append(errs, fmt.Errorf("disconnect %s from %s: %w", v.t.CN, v.t.Iface, err))
			continue
		}
		out = append(out, v.t)
	}
	return out, errors.Join(errs...)
}

// serverOn returns the running server whose tap is iface; m.mu is held.
func (m *Manager) serverOn(iface string) *server {
	for p, s := range m.servers {
		if s != nil && p.Iface() == iface {
			return s
		}
	}
	return nil
}

// parseServedKey reads back what servedKey wrote.
func parseServedKey(key string) (iface string, cid int64, ok bool) {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", 0, false
	}
	cid, err := strconv.ParseInt(key[i+1:], 10, 64)
	return key[:i], cid, err == nil
}
