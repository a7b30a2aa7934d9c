package ui

import (
	"context"

	"re6st-tui/node/control"
	"re6st-tui/node/state"
)

// Engine is what the dashboard needs from a running node: the node engine
// implements it, so do the control socket's client (for --attach) and the
// fake in ui/fake. It is defined once, where the control socket serves it.
type Engine = control.Engine

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
