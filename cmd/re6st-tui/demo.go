package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"re6st-tui/node/demo"
	"re6st-tui/node/netlab"
)

// demoArgs is what the demo's command line asks for.
type demoArgs struct {
	cfg   demo.Config
	check bool // no dashboard: check the network and remove it
	show  int  // the node the dashboard shows, from 1
}

// parseDemo reads the demo's command line.
func parseDemo(args []string) (demoArgs, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	nodes := fs.Int("nodes", 4, "number of nodes (hosts h1..hN; the registry runs beside h1's node)")
	check := fs.Bool("check", false, "no dashboard: wait until every node reaches every other, print it, and remove the network")
	show := fs.Int("show", 2, "the node the dashboard shows (h1 is the registry's node)")
	conflict := fs.Bool("conflict", true, "set up the classic default-route conflict: h1's node is a gateway (--gateway) and every host has its own default route on the underlay")
	if err := fs.Parse(args); err != nil {
		return demoArgs{}, err
	}
	if fs.NArg() > 0 {
		if a := fs.Arg(0); a == "true" || a == "false" {
			return demoArgs{}, fmt.Errorf("demo: unexpected argument %q: give a yes/no option its value with =, as in --conflict=false", a)
		}
		return demoArgs{}, fmt.Errorf("demo: unexpected argument %q; the options are --nodes, --show, --check and --conflict", fs.Arg(0))
	}
	if *nodes < 1 {
		return demoArgs{}, fmt.Errorf("--nodes %d: the demo needs at least one node", *nodes)
	}
	if *show < 1 || *show > *nodes {
		return demoArgs{}, fmt.Errorf("--show %d: pick a node from 1 to %d", *show, *nodes)
	}
	return demoArgs{cfg: demo.Config{Nodes: *nodes, Conflict: *conflict, Bin: findBinary, Log: slog.New(slog.DiscardHandler)},
		check: *check, show: *show}, nil
}

// demoCmd builds a re6st network in network namespaces (a registry and
// headless nodes) and shows one node in the dashboard; quitting removes
// everything.
func demoCmd(ctx context.Context, args []string) error {
	a, err := parseDemo(args)
	if err != nil {
		return err
	}
	if err := netlab.CanRun(); err != nil {
		return fmt.Errorf("the demo builds network namespaces: %w", err)
	}
	if !a.check {
		if err := needTerminal("the demo's dashboard", "re6st-tui demo --check builds the network without it"); err != nil {
			return err
		}
	}
	fmt.Printf("building a re6st network of %d nodes in network namespaces...\n", a.cfg.Nodes)
	d, err := demo.Start(ctx, a.cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := d.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "re6st-tui: remove the demo network:", err)
		}
	}()
	if a.check {
		took, err := d.WaitReachable(ctx, 3*time.Minute)
		if err != nil {
			return err
		}
		return printDemo(os.Stdout, d, took)
	}
	n := d.Nodes[a.show-1]
	if err := d.WaitControl(ctx, n, time.Minute); err != nil {
		return err
	}
	return attach(ctx, n.ControlSocket())
}

// printDemo lists the nodes.
func printDemo(out io.Writer, d *demo.Demo, took time.Duration) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tUNDERLAY\tRE6ST ADDRESS\tSUBNET")
	for _, n := range d.Nodes {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n.Host.Name, n.Host.IPv4, n.ID.Addr, n.ID.Subnet)
	}
	w.Flush()
	_, err := fmt.Fprintf(out, "\nregistry %s; every node reaches every other over the overlay (%v)\nnamespaces %s-*, removed on exit\n",
		d.Registry, took.Round(time.Millisecond), strings.TrimSuffix(d.Lab.Host("h1").NS, "-h1"))
	return err
}

// findBinary finds re6st-registry, re6st-conf or re6stnet: next to this
// program, then in PATH, then built from the source tree when run from
// a clone (go run ./cmd/re6st-tui demo).
func findBinary(name string) (string, error) {
	if exe, err := os.Executable(); err == nil {
		if p := filepath.Join(filepath.Dir(exe), name); isExecutable(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if _, err := os.Stat(filepath.Join("cmd", name, "main.go")); err != nil {
		return "", fmt.Errorf("%s not found: install the re6st-tui commands (go install ./cmd/...) or run the demo from the source tree", name)
	}
	dir := filepath.Join(os.TempDir(), "re6st-tui-demo-bin")
	out := filepath.Join(dir, name)
	if b, err := exec.Command("go", "build", "-o", out, "./cmd/"+name).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", name, err, b)
	}
	return out, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}
