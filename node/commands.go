package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"re6st-tui/diag/trace"
	"re6st-tui/node/identity"
	"re6st-tui/node/state"
)

// KillTunnel closes a client tunnel (by its state.Tunnel ID, the tap).
func (n *Node) KillTunnel(ctx context.Context, id string) error {
	return n.do(ctx, func() error {
		for iface, prefix := range n.mgr.Tunnels() {
			if iface == id {
				n.mgr.Kill(prefix)
				return nil
			}
		}
		if strings.Contains(id, " ") {
			return fmt.Errorf("tunnel %s is served by us: only its client side can close it", id)
		}
		return fmt.Errorf("no client tunnel %q: pick one from the peers list", id)
	})
}

// ConnectPeer opens a tunnel to the node owning prefix.
func (n *Node) ConnectPeer(ctx context.Context, prefix netip.Prefix) error {
	return n.do(ctx, func() error {
		bits := identity.BitsFromAddr(prefix.Addr(), prefix.Bits())
		p, ok := strings.CutPrefix(bits, n.id.CA.Network)
		if !ok || p == "" {
			return fmt.Errorf("%v is not a node prefix of the network %s", prefix, n.st.Identity.Network)
		}
		if p == n.id.Prefix {
			return errors.New("that is this node")
		}
		if n.mgr.HasTunnel(p) {
			return fmt.Errorf("this node already has a tunnel with %s", identity.CN(p))
		}
		if !n.mgr.Connect(n.loopCtx, p) {
			return fmt.Errorf("no address known for %s yet: asked the peer; try again in a few seconds", identity.CN(p))
		}
		return nil
	})
}

// RefreshNetworkConfig fetches the network config now.
func (n *Node) RefreshNetworkConfig(ctx context.Context) error {
	done := make(chan error, 1)
	if err := n.do(ctx, func() error { n.fetchConfig(done); return nil }); err != nil {
		return err
	}
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w: check that the registry %s is reachable", err, n.cfg.Registry)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Rebootstrap asks the registry for a peer and opens a tunnel to it.
func (n *Node) Rebootstrap(ctx context.Context) error {
	// The registry is asked here, not on the loop, which must not wait.
	var b bootstrap
	b.prefix, b.addrs, b.err = getBootstrapPeer(ctx, n.reg)
	return n.do(ctx, func() error {
		if err := n.checkBootstrap(n.loopCtx, &b); err != nil {
			return err
		}
		if n.mgr.HasTunnel(b.prefix) {
			return fmt.Errorf("the registry's bootstrap peer %s already has a tunnel with this node: nothing to do", identity.CN(b.prefix))
		}
		if !n.mgr.Connect(n.loopCtx, b.prefix) {
			return fmt.Errorf("bootstrap peer %s (%s): could not open a tunnel", identity.CN(b.prefix), b.addrs)
		}
		return nil
	})
}

// StartTrace runs an mtr-style traceroute6 to dst: an address, or a prefix
// whose node address is traced.
func (n *Node) StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error) {
	addr, err := netip.ParseAddr(dst)
	if err != nil {
		p, perr := netip.ParsePrefix(dst)
		if perr != nil {
			return nil, fmt.Errorf("trace %q: give an IPv6 address or a node prefix", dst)
		}
		addr = identity.NodeAddr(p.Masked())
	}
	network := n.st.Identity.Network
	cfg := trace.Config{Dst: addr, Src: trace.SourceFor(addr, network, n.id.Addr), Rounds: -1}
	updates := make(chan trace.Hop, 64)
	out := make(chan state.Hop, 64)
	go func() {
		defer close(updates)
		trace.Run(ctx, cfg, updates)
	}()
	go func() {
		defer close(out)
		for h := range updates {
			sh := state.Hop{N: h.TTL, Sent: h.Stats.Sent, Loss: h.Stats.Loss / 100,
				Last: h.Stats.Last, Avg: h.Stats.Avg, Best: h.Stats.Best, Worst: h.Stats.Worst}
			for _, r := range h.Responders {
				sh.Addrs = append(sh.Addrs, r.Addr)
			}
			select {
			case out <- sh:
			case <-ctx.Done():
			}
		}
	}()
	return out, nil
}

// ApplyFix applies a fix that the doctor's latest checks offer (a
// state.Fix ID of state.Findings). The node keeps what it applied, so that
// RevertFix undoes exactly that, and reverts it when it stops.
func (n *Node) ApplyFix(ctx context.Context, id string) error { return n.checks.apply(ctx, id) }

// RevertFix undoes a fix applied with ApplyFix.
func (n *Node) RevertFix(ctx context.Context, id string) error { return n.checks.revert(ctx, id) }
