package control

import (
	"context"
	"net/netip"

	"re6st-tui/node/state"
)

// Engine is what the control socket serves: the node engine implements
// it, and so does [Client] over the socket. It is the same contract as the
// dashboard's engine interface, restated here because the node does not
// import the UI.
type Engine interface {
	// Snapshot returns a deep copy of the node's state.
	Snapshot() state.State
	// Subscribe streams every change after the call. The channel closes
	// when ctx ends, when the engine stops, or after a final KindLagged
	// event when the subscriber fell behind.
	Subscribe(ctx context.Context) <-chan state.Event

	// KillTunnel closes the tunnel with the given state.Tunnel ID.
	KillTunnel(ctx context.Context, id string) error
	// ConnectPeer opens a tunnel to the node owning prefix.
	ConnectPeer(ctx context.Context, prefix netip.Prefix) error
	// RefreshNetworkConfig fetches the network configuration again.
	RefreshNetworkConfig(ctx context.Context) error
	// Rebootstrap asks the registry for a bootstrap peer and opens a tunnel
	// to it.
	Rebootstrap(ctx context.Context) error
	// StartTrace streams the hops of a traceroute6 to dst until ctx ends.
	StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error)
	// ApplyFix applies the fix of a finding; RevertFix undoes it.
	ApplyFix(ctx context.Context, id string) error
	RevertFix(ctx context.Context, id string) error
}
