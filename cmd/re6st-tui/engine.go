package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"re6st-tui/node"
	"re6st-tui/node/config"
	"re6st-tui/node/control"
	"re6st-tui/node/enroll"
	"re6st-tui/node/logs"
)

// defaultSocket is where a headless re6stnet serves its control socket
// with the default run directory.
const defaultSocket = "/var/run/re6stnet/control.sock"

// runNode runs the node of the configuration in dir with the dashboard
// on top; quitting the dashboard stops the node.
// When the node restarts for a new network configuration, so does
// re6st-tui (see restartError).
func runNode(ctx context.Context, dir string) error {
	if err := needTerminal("the dashboard", "re6stnet runs the node without one, and re6st-tui --attach shows it"); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	n, err := newNode(abs)
	if err != nil {
		return err
	}
	return restartOf(runDashboard(ctx, n, n.Run), abs)
}

// newNode reads re6stnet.conf from dir, with paths relative to dir, as
// the packaged service runs re6stnet @re6stnet.conf there.
func newNode(dir string) (*node.Node, error) {
	if err := os.Chdir(dir); err != nil {
		return nil, fmt.Errorf("configuration directory: %w", err)
	}
	cfg, err := config.ParseNode([]string{"@" + enroll.ConfFile})
	if err != nil {
		return nil, err
	}
	// The log panel shows the log; the file keeps it. Nothing goes to the
	// terminal the dashboard draws on.
	sink := logs.NewSink(nil, 10000)
	if err := sink.OpenFile(filepath.Join(cfg.LogDir, "re6stnet.log")); err != nil {
		return nil, err
	}
	return node.New(node.Options{Config: cfg, Sink: sink})
}

// attach shows a running node through its control socket, and shows it
// again when it comes back after a restart.
func attach(ctx context.Context, path string) error {
	if err := needTerminal("the dashboard", "re6st-tui status --json --attach "+path+" prints the node's state"); err != nil {
		return err
	}
	c, err := dial(ctx, path)
	if err != nil {
		return err
	}
	r := newReattached(c, path)
	defer r.Close()
	return runDashboard(ctx, r, func(ctx context.Context) error {
		<-ctx.Done() // the node may go and come back: the dashboard stays
		return nil
	})
}

func dial(ctx context.Context, path string) (*control.Client, error) {
	c, err := control.DialContext(ctx, path)
	switch {
	case err == nil:
		return c, nil
	case errors.Is(err, syscall.ENOENT):
		return nil, fmt.Errorf("no node serves %s: start re6stnet, or give its control socket (<run dir>/control.sock) with --attach", path)
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("no node answers on %s: the node that made it has stopped; start re6stnet again", path)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return nil, fmt.Errorf("not allowed to reach the node at %s: run as root", path)
	}
	return nil, fmt.Errorf("cannot reach the node: %w", err)
}
