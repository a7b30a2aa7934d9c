package node

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"re6st-tui/node/peer"
	"re6st-tui/node/state"
	"re6st-tui/node/upnp"
)

// upnpCloseTimeout bounds the removal of the mappings at stop, so that a
// gateway gone silent does not hold the node up.
const upnpCloseTimeout = 10 * time.Second

// upnpWanted reports whether the IPv4 server ports are to be mapped on
// the Internet gateway, and whether that was asked for explicitly. As
// re6st does, UPnP is tried when --ip upnp is given, and also when no
// IPv4 --ip (nor any) is given: a node behind a home router is then
// reachable with no configuration.
func (n *Node) upnpWanted() (want, explicit bool) {
	if slices.Contains(n.cfg.IP, "upnp") {
		return true, true
	}
	for _, ip := range n.cfg.IP {
		if ip == "any" {
			return false, false
		}
		if a, err := netip.ParseAddr(ip); err != nil || a.Is4() || a.Is4In6() {
			return false, false // an IPv4 address or a host name
		}
	}
	return true, false
}

// upnpPorts are the IPv4 server ports, the ones a gateway can map.
func (n *Node) upnpPorts() []upnp.Port {
	var out []upnp.Port
	for _, pp := range n.serverPorts() {
		if peer.Family(pp.Proto) == 4 {
			out = append(out, upnp.Port{Port: pp.Port, Proto: pp.Proto})
		}
	}
	return out
}

// startUPnP maps the IPv4 server ports on the gateway, renews the
// mappings until the node stops and then removes them. When --ip upnp
// asks for it, a node that finds no gateway does not start; otherwise
// the search runs in the background and, failing, the node learns its
// address from peers.
func (n *Node) startUPnP(ctx context.Context, undo *[]func()) error {
	want, explicit := n.upnpWanted()
	ports := n.upnpPorts()
	if !want || len(ports) == 0 {
		return nil
	}
	cfg := upnp.Config{Ports: ports, Description: "re6stnet openvpn server", Log: n.log,
		OnRenew: func(st upnp.Status) { n.post(ctx, func() { n.upnpRenewed(st) }) }}
	n.setUPnP(state.UPnP{Phase: state.UPnPSearching})
	done := make(chan struct{})
	*undo = append(*undo, func() { <-done })
	if !explicit {
		go func() {
			defer close(done)
			m, err := upnp.Start(ctx, cfg)
			if err != nil {
				if ctx.Err() == nil {
					n.log.Info("no UPnP gateway: the node is taken to be reachable as peers see it", "err", err)
				}
				n.setUPnP(state.UPnP{Phase: state.UPnPOff, Error: err.Error()})
				return
			}
			if n.post(ctx, func() { n.upnpRenewed(m.Status()) }) {
				m.Run(ctx)
			}
			n.closeMapper(m)
		}()
		return nil
	}
	m, err := upnp.Start(ctx, cfg)
	if err != nil {
		close(done)
		n.setUPnP(state.UPnP{Phase: state.UPnPFailed, Error: err.Error()})
		return fmt.Errorf("--ip upnp: %w", err)
	}
	n.upnpRenewed(m.Status())
	go func() {
		defer close(done)
		m.Run(ctx)
		n.closeMapper(m)
	}()
	return nil
}

// closeMapper removes the mappings as the node stops.
func (n *Node) closeMapper(m *upnp.Mapper) {
	ctx, cancel := context.WithTimeout(context.Background(), upnpCloseTimeout)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		n.log.Warn("port mappings not removed: the gateway ends them with their lease", "err", err)
	}
	st := m.Status()
	n.setUPnP(state.UPnP{Phase: state.UPnPOff, Gateway: st.Gateway, External: st.External})
}

// upnpRenewed takes in the mappings after they were made or renewed:
// the advertised IPv4 entries use the mapped ports, and the address the
// gateway gives until a peer reports another one.
func (n *Node) upnpRenewed(st upnp.Status) {
	s := state.UPnP{Phase: state.UPnPMapped, Gateway: st.Gateway, External: st.External, Renewed: st.Renewed}
	for i, p := range st.Ports {
		if st.Mapped[i] != 0 {
			s.Mappings = append(s.Mappings, state.PortMapping{Proto: p.Proto, Internal: p.Port, External: st.Mapped[i]})
		}
	}
	if st.Err != nil {
		s.Error = st.Err.Error()
		if len(s.Mappings) == 0 {
			s.Phase = state.UPnPFailed
		}
	}
	n.setUPnP(s)
	changed := n.upnp == nil || n.upnp.External != st.External || !slices.Equal(n.upnp.Mapped, st.Mapped)
	n.upnp = &st
	if changed && st.External.IsValid() && len(s.Mappings) > 0 {
		n.address[0] = n.addressesFor(st.External.String(), false)
		n.publishAddress()
		n.log.Info("servers reachable through the gateway", "address", peer.FormatAddresses(n.address[0], false))
	}
}

// mappedPort is the gateway's port for our IPv4 server port, 0 when
// UPnP does not map it.
func (n *Node) mappedPort(port uint16, proto string) uint16 {
	if n.upnp == nil {
		return 0
	}
	for i, p := range n.upnp.Ports {
		if p.Port == port && p.Proto == proto {
			return n.upnp.Mapped[i]
		}
	}
	return 0
}

func (n *Node) setUPnP(u state.UPnP) {
	n.mu.Lock()
	n.st.UPnP = u
	n.mu.Unlock()
	n.publish(state.Event{Kind: state.KindUPnP, UPnP: &u})
	if n.checks != nil {
		n.checks.upnpChanged()
	}
}

// post runs f on the node's loop, and reports whether it could before
// ctx ended.
func (n *Node) post(ctx context.Context, f func()) bool {
	select {
	case n.cmds <- f:
		return true
	case <-ctx.Done():
		return false
	}
}
