package main

import (
	"context"
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
	w := ui.NewWizard(ctx, enr, ui.WizardOptions{URL: *registry, Dir: *dir})
	if _, err := tea.NewProgram(w, tea.WithContext(ctx)).Run(); err != nil {
		return fmt.Errorf("enrollment wizard: %w", err)
	}
	if !w.Done() {
		return fmt.Errorf("enrollment not finished: run re6st-tui enroll again")
	}
	if !*useFake {
		res := w.Result()
		fmt.Printf("enrolled as %s; files: %s\n", res.Enrollment.Prefix, strings.Join(res.Files, " "))
		return fmt.Errorf("the node cannot start from this build yet: %w", errNoEngine)
	}
	eng := fake.New(fake.Typical(time.Now()))
	return runDashboard(ctx, eng, func(ctx context.Context) error { return eng.Run(ctx, time.Second) })
}
