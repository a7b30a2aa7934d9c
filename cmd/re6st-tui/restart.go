package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"re6st-tui/node"
)

// restartError says the node stopped to start over with a new network
// configuration; main then runs re6st-tui again on the same directory,
// as re6stnet re-executes itself. The node hands the fixes in force to
// the next run through its state directory.
type restartError struct{ dir string }

func (e *restartError) Error() string { return node.ErrRestart.Error() }
func (e *restartError) Unwrap() error { return node.ErrRestart }

// restartOf turns the node's ErrRestart into a restartError for dir.
func restartOf(err error, dir string) error {
	if errors.Is(err, node.ErrRestart) {
		return &restartError{dir: dir}
	}
	return err
}

// reexec starts re6st-tui over on the directory of the node that asked
// for it: the dashboard has given the terminal back by now, and the new
// process takes it again.
func reexec(r *restartError) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("restart for the new network configuration: %w; start re6st-tui --dir %s again", err, r.dir)
	}
	err = syscall.Exec(exe, []string{os.Args[0], "--dir", r.dir}, os.Environ())
	return fmt.Errorf("restart for the new network configuration: %w; start re6st-tui --dir %s again", err, r.dir)
}
