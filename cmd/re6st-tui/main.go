// Command re6st-tui is a re6st node with a live terminal dashboard.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	err := run(os.Args[1:])
	if r, ok := errors.AsType[*restartError](err); ok {
		err = reexec(r)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // -h asked for the usage, which is printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "re6st-tui:", err)
		os.Exit(1)
	}
}

// run picks the subcommand; each lives in its own file.
func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "status":
			return statusCmd(args[1:])
		case "enroll":
			return enrollCmd(args[1:])
		case "doctor":
			return doctorCmd(args[1:])
		case "demo":
			ctx, stop := signalContext()
			defer stop()
			return demoCmd(ctx, args[1:])
		}
	}
	return tuiCmd(args)
}

// signalContext ends when the user interrupts, the system stops us, or the
// terminal goes away (SIGHUP, as when its window is closed): each way, a
// node or a demo is stopped cleanly and removes what it set up.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
}
