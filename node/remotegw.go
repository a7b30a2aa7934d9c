package node

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"

	"github.com/vishvananda/netlink"

	"re6st-tui/node/remotegw"
	"re6st-tui/tunnels"
)

// startRemoteGateways removes the host routes a crashed run left and,
// with --remote-gateway, routes the IPv4 remotes of client tunnels
// through the gateways given.
func (n *Node) startRemoteGateways(undo *[]func()) error {
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	k := remotegw.Netlink{Handle: h}
	journal := filepath.Join(n.cfg.StateDir, "remotegw.json")
	if err := remotegw.Recover(k, journal); err != nil {
		n.log.Warn("routes left by a crashed run", "err", err)
	}
	if len(n.cfg.RemoteGateways) == 0 || n.cfg.Client != "" {
		h.Close()
		return nil
	}
	m, err := remotegw.Open(k, journal, n.cfg.RemoteGateways)
	if err != nil {
		h.Close()
		return err
	}
	n.remoteGW = m
	n.remoteIPs = map[string][]netip.Addr{}
	// Registered before the tunnels start, so it runs after they stop.
	*undo = append(*undo, func() {
		if err := m.Close(); err != nil {
			n.log.Warn("remove the routes through the remote gateways", "err", err)
		}
		h.Close()
	})
	return nil
}

// routeRemotes gives each IPv4 remote of a client tunnel its route
// through the next remote gateway, before OpenVPN dials it. Should one
// fail, the tunnel is not opened: it would leave by the default route,
// which --remote-gateway is there to avoid.
func (n *Node) routeRemotes(list []tunnels.Address) ([]netip.Addr, error) {
	if n.remoteGW == nil {
		return nil, nil
	}
	var ips []netip.Addr
	for _, a := range list {
		ip := a.AddrPort.Addr().Unmap()
		if !ip.Is4() || slices.Contains(ips, ip) {
			continue
		}
		if err := n.remoteGW.Acquire(ip, true); err != nil {
			n.releaseRemotes(ips)
			return nil, fmt.Errorf("--remote-gateway: %w", err)
		}
		ips = append(ips, ip)
	}
	return ips, nil
}

func (n *Node) releaseRemotes(ips []netip.Addr) {
	var errs []error
	for _, ip := range ips {
		_, err := n.remoteGW.Release(ip)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		n.log.Warn("remove a route through a remote gateway", "err", err)
	}
}

// servedRemote counts a peer that dialled one of our servers as a user
// of its address (without a route, see package remotegw), or forgets
// it when it left.
func (n *Node) servedRemote(ev tunnels.Event, connected bool) {
	if n.remoteGW == nil {
		return
	}
	key := ev.Tunnel + " " + ev.CN
	if connected {
		ip := ev.Remote.Addr().Unmap()
		if err := n.remoteGW.Acquire(ip, false); err != nil {
			n.log.Warn("remote gateways", "err", err)
			return
		}
		n.remoteIPs[key] = []netip.Addr{ip}
		return
	}
	if ips, ok := n.remoteIPs[key]; ok {
		delete(n.remoteIPs, key)
		n.releaseRemotes(ips)
	}
}
