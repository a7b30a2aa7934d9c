package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"re6st-tui/ui"
	"re6st-tui/ui/fake"
)

// enrollCmd runs the enrollment wizard, then the dashboard.
func enrollCmd(args []string) error {
	fs := flag.NewFlagSet("re6st-tui enroll", flag.ContinueOnError)
	registry := fs.String("registry", "", "registry URL to start with")
	dir := fs.String("dir", "/etc/re6stnet", "where to write the key, certificate and configuration")
	useFake := fs.Bool("fake", false, "enroll with a made-up registry that writes nothing, then show a made-up node")
	noStart := fs.Bool("no-start", false, "exit once enrolled instead of starting the node")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := needTerminal("the enrollment wizard", "re6st-conf enrolls from scripts"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var enr ui.Enroller = &registryEnroller{dir: *dir}
	if *useFake {
		enr = &fake.Enroller{Delay: 300 * time.Millisecond, Dir: *dir, Now: time.Now()}
	}
	last := "" // the fake goes on to the dashboard
	if !*useFake {
		last = lastStep(!*noStart)
	}
	if err := runWizard(ctx, enr, *registry, *dir, last); err != nil {
		return err
	}
	if !*useFake {
		return afterEnroll(ctx, *dir, !*noStart)
	}
	eng := fake.New(fake.Typical(time.Now()))
	return runDashboard(ctx, eng, func(ctx context.Context) error { return eng.Run(ctx, time.Second) })
}

// lastStep says what happens once the wizard is done.
func lastStep(start bool) string {
	if start {
		return "starts the node"
	}
	return "exits; start the node with re6st-tui --dir or re6stnet"
}

// afterEnroll starts the node, or says how to.
func afterEnroll(ctx context.Context, dir string, start bool) error {
	if start {
		return runNode(ctx, dir)
	}
	fmt.Printf("enrolled: start the node with re6st-tui --dir %s (or re6stnet @re6stnet.conf there)\n", dir)
	return nil
}

// runWizard runs the enrollment wizard to the end and says what it wrote.
func runWizard(ctx context.Context, enr ui.Enroller, registry, dir, last string) error {
	w := ui.NewWizard(ctx, enr, ui.WizardOptions{URL: registry, Dir: dir, Last: last})
	if _, err := tea.NewProgram(w, tea.WithContext(ctx)).Run(); err != nil {
		return fmt.Errorf("enrollment wizard: %w", err)
	}
	if !w.Done() {
		return errors.New("enrollment not finished: run re6st-tui enroll again")
	}
	res := w.Result()
	fmt.Printf("enrolled as %s; files: %s\n", res.Enrollment.Prefix, strings.Join(res.Files, " "))
	return nil
}
