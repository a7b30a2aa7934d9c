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
		last = noNodeYet
	}
	if err := runWizard(ctx, enr, *registry, *dir, last); err != nil {
		return err
	}
	if !*useFake {
		return errEnrolledNoEngine
	}
	eng := fake.New(fake.Typical(time.Now()))
	return runDashboard(ctx, eng, func(ctx context.Context) error { return eng.Run(ctx, time.Second) })
}

// What happens after enrolling while this build has no node engine.
const noNodeYet = "finishes; this build cannot run the node yet"

var errEnrolledNoEngine = errors.New("enrolled, but this build has no node engine to start yet; the configuration stays for when it does")

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
