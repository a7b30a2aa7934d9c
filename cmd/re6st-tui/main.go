// Command re6st-tui is a re6st node with a live dashboard.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
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
		}
	}
	return tuiCmd(args)
}
