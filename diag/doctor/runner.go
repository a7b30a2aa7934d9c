package doctor

import (
	"context"
	"os/exec"
)

// hostRunner runs tools on this host.
type hostRunner struct{}

func (hostRunner) LookPath(name string) error {
	_, err := exec.LookPath(name)
	return err
}

func (hostRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).Output()
}

// NamespaceRunner runs tools inside a named network namespace through
// `ip netns exec`.
type NamespaceRunner struct{ NS string }

// LookPath reports whether the tool is installed.
func (NamespaceRunner) LookPath(name string) error { return hostRunner{}.LookPath(name) }

// Output runs the tool inside the namespace.
func (n NamespaceRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS, name}, args...)...).Output()
}
