package ui

import (
	"context"
	"net/netip"

	"re6st-tui/node/state"
)

// Engine is what the dashboard needs from a running node. The node engine
// implements it; so does the fake in ui/fake, for tests and `--fake`.
// Every method may be called from any goroutine; commands return when the
// change is made or has failed, and their errors end with what to do.
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
	// RefreshNetworkConfig fetches the network configuration from the
	// registry again.
	RefreshNetworkConfig(ctx context.Context) error
	// Rebootstrap drops the peer cache and asks the registry for peers.
	Rebootstrap(ctx context.Context) error
	// StartTrace runs a traceroute6 to dst (an address, or a prefix whose
	// node address is traced) and streams the updated statistics of each
	// hop until ctx ends; the channel then closes.
	StartTrace(ctx context.Context, dst string) (<-chan state.Hop, error)
	// ApplyFix applies the fix of the state.Finding with this ID;
	// RevertFix undoes it.
	ApplyFix(ctx context.Context, id string) error
	RevertFix(ctx context.Context, id string) error
}

// Enroller runs the steps of enrollment with a registry, in order:
// FetchCA, then optionally RequestToken, then Enroll, then WriteFiles.
// It keeps what earlier steps produced (CA, key, certificate).
type Enroller interface {
	// FetchCA downloads the registry's CA certificate for the person to
	// check its fingerprint.
	FetchCA(ctx context.Context, registryURL string) (state.CAInfo, error)
	// RequestToken asks the registry to mail a token to email.
	RequestToken(ctx context.Context, email string) error
	// Enroll generates the key and gets it certified, calling progress
	// (from any goroutine) as it goes.
	Enroll(ctx context.Context, req state.EnrollRequest, progress func(state.EnrollProgress)) (state.Enrollment, error)
	// WriteFiles writes key, certificate, CA and configuration
	// atomically and returns the paths written.
	WriteFiles(ctx context.Context) ([]string, error)
}
