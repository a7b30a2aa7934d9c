package node

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/node/identity"
	"re6st-tui/node/state"
)

// revertTimeout bounds the reverting of applied fixes when the node stops.
const revertTimeout = 10 * time.Second

// startChecks runs the doctor's checks for as long as the node runs. Its
// undo reverts the fixes still applied; registered after the tunnels',
// it runs before they go, while the routes a fix follows still exist.
func (n *Node) startChecks(ctx context.Context, undo *[]func()) error {
	n.mtuTarget = n.registryNodeAddr()
	n.upnpCheck = n.upnpSettings()
	n.runChecks(undo)
	return nil
}

// runChecks runs the checkup until the undo. The fixes in force when the
// node restarts for a new network configuration are handed to the next
// run, which applies them again (reapply.go).
func (n *Node) runChecks(undo *[]func()) {
	ids, err := takeReapply(n.cfg.StateDir, time.Now())
	if err != nil {
		n.log.Warn("fixes in force before the restart", "err", err)
	}
	if len(ids) > 0 {
		n.log.Info("applying again the fixes in force before the restart, once their checks offer them", "fixes", ids)
		n.checks.reapplyAfter(ids, time.Now().Add(reapplyWindow))
	}
	cctx, cancel := context.WithCancel(context.Background())
	go n.checks.run(cctx)
	*undo = append(*undo, func() {
		cancel()
		reverted := n.checks.stop(revertTimeout)
		if n.restarting && len(reverted) > 0 {
			if err := saveReapply(n.cfg.StateDir, reverted, time.Now()); err != nil {
				n.log.Error("fixes in force will not be applied again after the restart", "fixes", reverted, "err", err)
			}
		}
	})
}

// newDoctor returns a Doctor for one round of checks.
func (n *Node) newDoctor() *doctor.Doctor {
	return &doctor.Doctor{Sys: n.sys, Node: n.doctorNode(), Log: n.log.With("component", "doctor")}
}

// registryNodeAddr is the address of the node beside the registry, to
// measure the overlay's path MTU to; invalid when that is us.
func (n *Node) registryNodeAddr() netip.Addr {
	p := n.net.RegistryPrefix
	if p == "" || p == n.id.Prefix {
		return netip.Addr{}
	}
	subnet, err := identity.Subnet(n.id.CA.Network, p)
	if err != nil {
		return netip.Addr{}
	}
	return identity.NodeAddr(subnet)
}

// doctorNode is what the checks need to know of the node now.
func (n *Node) doctorNode() doctor.Node {
	d := doctor.Node{
		Gateway:   n.cfg.Gateway,
		Registry:  n.cfg.Registry,
		CA:        n.id.CA.Cert,
		Cert:      n.id.Cert,
		MTUTarget: n.mtuTarget,
	}
	main := n.cfg.MainInterface
	if main == "" {
		main = "lo"
	}
	d.Interfaces = append([]string{main}, n.cfg.Interfaces...)
	for _, pp := range n.cfg.PP {
		d.TunnelPorts = append(d.TunnelPorts, doctor.Port{Proto: strings.TrimSuffix(pp.Proto, "6"), Port: int(pp.Port)})
	}
	n.mu.Lock()
	d.UPnP = n.upnpCheck.with(n.st.UPnP)
	d.Network, d.Addr = n.st.Identity.Network, n.st.Identity.Address
	for _, t := range n.st.Tunnels {
		d.Interfaces = append(d.Interfaces, t.Iface)
		if t.Role == state.Client && t.Remote.IsValid() {
			d.Remotes = append(d.Remotes, doctor.Remote{Tunnel: t.Iface, Addr: t.Remote.Addr().Unmap()})
		}
	}
	n.mu.Unlock()
	return d
}

// upnpSettings is what the UPnP check needs of the configuration,
// worked out once at start: the checks run beside the loop.
func (n *Node) upnpSettings() upnpSettings {
	want, explicit := n.upnpWanted()
	s := upnpSettings{want: want && len(n.upnpPorts()) > 0, asked: explicit}
	for _, p := range n.upnpPorts() {
		s.ports = append(s.ports, doctor.Port{Proto: p.Proto, Port: int(p.Port)})
	}
	return s
}

// upnpSettings are the node's UPnP settings, for the doctor.
type upnpSettings struct {
	want, asked bool
	ports       []doctor.Port
}

// with is the UPnP check's input: these settings and the state u.
func (s upnpSettings) with(u state.UPnP) *doctor.UPnP {
	if !s.want {
		return &doctor.UPnP{}
	}
	d := &doctor.UPnP{Phase: string(u.Phase), Asked: s.asked, Gateway: u.Gateway, External: u.External,
		Renewed: u.Renewed, Error: u.Error, Ports: s.ports}
	for _, m := range u.Mappings {
		d.Mappings = append(d.Mappings, doctor.Mapping{Proto: m.Proto, Internal: m.Internal, External: m.External})
	}
	return d
}

// setFindings records the doctor's findings and publishes those that
// changed.
func (n *Node) setFindings(list []state.Finding) {
	n.mu.Lock()
	old := n.st.Findings
	n.st.Findings = list
	n.mu.Unlock()
	before := make(map[string]state.Finding, len(old))
	for _, f := range old {
		before[f.ID] = f
	}
	for _, f := range list {
		if o, ok := before[f.ID]; !ok || !reflect.DeepEqual(o, f) {
			n.publish(state.Event{Kind: state.KindFinding, Finding: clonedFinding(f)})
		}
		delete(before, f.ID)
	}
	for _, f := range before {
		n.publish(state.Event{Kind: state.KindFinding, Finding: clonedFinding(f), Removed: true})
	}
}

// clonedFinding is a copy of f that shares nothing with the node's state.
func clonedFinding(f state.Finding) *state.Finding {
	c := state.State{Findings: []state.Finding{f}}.Clone()
	return &c.Findings[0]
}
