package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"golang.org/x/sync/errgroup"

	"re6st-tui/node/enroll"
	"re6st-tui/ui"
	"re6st-tui/ui/fake"
)

// usage is re6st-tui's synopsis, as the README has it.
const usage = `re6st-tui is a re6st node with a live dashboard.

  re6st-tui [--dir /etc/re6stnet]        run the node under the dashboard
  re6st-tui enroll [--registry URL]      the enrollment wizard, then the node
  re6st-tui --attach SOCKET              show a headless re6stnet
  re6st-tui status [--json]              the node's state, for scripts
  re6st-tui doctor [--json]              check the host for what breaks re6st
  re6st-tui demo [--nodes N] [--check]   a re6st network in namespaces

Each subcommand takes -h. The dashboard's options:
`

// tuiCmd runs the dashboard.
func tuiCmd(args []string) error {
	fs := flag.NewFlagSet("re6st-tui", flag.ContinueOnError)
	useFake := fs.Bool("fake", false, "show a made-up node instead of running one (for a look around)")
	dir := fs.String("dir", "/etc/re6stnet", "configuration directory; enrollment starts when it has no re6stnet.conf")
	routes := fs.Int("fake-routes", 0, "with --fake: make up this many Babel routes (for load tests)")
	peers := fs.Int("fake-peers", 100, "with --fake-routes: this many tunnels")
	noStart := fs.Bool("no-start", false, "after enrolling, exit instead of starting the node")
	attachTo := fs.String("attach", "", "show the headless node serving this control socket (re6stnet's <run dir>/control.sock)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unknown argument %q: the subcommands are enroll, status, doctor and demo (re6st-tui --help lists the options)", fs.Arg(0))
	}
	if *attachTo != "" {
		ctx, stop := signalContext()
		defer stop()
		return attach(ctx, *attachTo)
	}
	if !*useFake {
		return firstRun(*dir, !*noStart)
	}
	if err := needTerminal("the dashboard", "re6st-tui status --json prints the node's state for scripts"); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	st := fake.Typical(time.Now())
	if *routes > 0 {
		st = fake.Large(time.Now(), *routes, max(*peers, 1))
	}
	eng := fake.New(st)
	return runDashboard(ctx, eng, func(ctx context.Context) error { return eng.Run(ctx, time.Second) })
}

// firstRun enrolls when dir holds no configuration yet, then runs the
// node with the dashboard.
func firstRun(dir string, start bool) error {
	ctx, stop := signalContext()
	defer stop()
	conf := filepath.Join(dir, enroll.ConfFile)
	if _, err := os.Stat(conf); err == nil || !errors.Is(err, os.ErrNotExist) {
		return runNode(ctx, dir)
	}
	if err := needTerminal("the enrollment wizard ("+conf+" does not exist)", "re6st-conf enrolls from scripts"); err != nil {
		return err
	}
	if err := runWizard(ctx, &registryEnroller{dir: dir}, "", dir, lastStep(start)); err != nil {
		return err
	}
	return afterEnroll(ctx, dir, start)
}

// runDashboard runs the engine and the TUI together; quitting the TUI
// stops the engine, and the engine stopping is shown in the TUI. opts are
// for tests, which have no terminal.
func runDashboard(ctx context.Context, eng ui.Engine, runEngine func(context.Context) error, opts ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runEngine(gctx) })
	g.Go(func() error {
		defer cancel()
		m := ui.New(gctx, eng, ui.Options{Now: time.Now()})
		_, err := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(gctx), tea.WithFPS(dashboardFPS)}, opts...)...).Run()
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return nil // a signal ended us: not an error
		}
		return err
	})
	return g.Wait()
}

// dashboardFPS caps redraws: the data changes about once a second, and
// 30 frames a second still feel instant on a key while the renderer's
// ticker wakes half as often as the default 60.
const dashboardFPS = 30

// needTerminal explains, instead of a TTY error, why what needs a
// terminal cannot run and what to use instead.
func needTerminal(what, instead string) error {
	if term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd()) {
		return nil
	}
	return fmt.Errorf("%s needs a terminal on stdin and stdout: run it in one; %s", what, instead)
}
