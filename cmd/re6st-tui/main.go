<<<<<<< HEAD
// Command re6st-tui is a re6st node with a live terminal dashboard.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: re6st-tui <command> [flags]

commands:
  demo    build a small re6st lab network in network namespaces and show it
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
=======
// Command re6st-tui is a re6st node with a live dashboard.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
>>>>>>> ui
		fmt.Fprintln(os.Stderr, "re6st-tui:", err)
		os.Exit(1)
	}
}

<<<<<<< HEAD
func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "demo":
		return demo(ctx, args[1:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return nil
	}
	fmt.Fprint(os.Stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
=======
// run picks the subcommand; each lives in its own file.
func run(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "status":
			return statusCmd(args[1:])
		case "enroll":
			return enrollCmd(args[1:])
		}
	}
	return tuiCmd(args)
>>>>>>> ui
}
