// Command re6stnet runs a re6st node headless, with re6stnet's options
// and @file configuration (re6stnet @re6stnet.conf).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"re6st-tui/node"
	"re6st-tui/node/config"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg, err := config.ParseNode(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "re6stnet:", err)
		return 2
	}
	if cfg.ShowVersion {
		fmt.Println(node.Version)
		return 0
	}
	n, err := node.New(node.Options{Config: cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "re6stnet:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	status := 0
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sigs {
			switch s {
			case syscall.SIGUSR1:
				n.ReopenLog()
			case syscall.SIGHUP, syscall.SIGUSR2:
				status = 255 // stop in order, then let the supervisor start us again
				cancel()
			default:
				cancel()
			}
		}
	}()
	err = n.Run(ctx)
	switch {
	case errors.Is(err, node.ErrRestart):
		// re6st starts over with the same command line.
		exe, _ := os.Executable()
		if err := syscall.Exec(exe, os.Args, os.Environ()); err != nil {
			fmt.Fprintln(os.Stderr, "re6stnet: restart:", err)
			return 1
		}
	case err != nil:
		fmt.Fprintln(os.Stderr, "re6stnet:", err)
		return 1
	}
	return status
}
