package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// statusCmd prints the node's snapshot: as JSON for scripts, or a short
// summary for people.
func statusCmd(args []string) error {
	fs := flag.NewFlagSet("re6st-tui status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the whole snapshot as JSON")
	useFake := fs.Bool("fake", false, "report on a made-up node")
	socket := fs.String("attach", defaultSocket, "the node's control socket")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st state.State
	if *useFake {
		st = fake.New(fake.Typical(time.Now())).Snapshot()
	} else {
		c, err := dial(context.Background(), *socket)
		if err != nil {
			return err
		}
		st = c.Snapshot()
		c.Close()
	}
	if *asJSON {
		return writeJSON(os.Stdout, st)
	}
	return writeSummary(os.Stdout, st)
}

func writeJSON(w io.Writer, st state.State) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(st)
}

func writeSummary(w io.Writer, st state.State) error {
	up := 0
	for _, t := range st.Tunnels {
		if t.State == state.TunnelUp {
			up++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)", st.Identity.Prefix, st.Identity.Address, st.Identity.Network)
	if st.Identity.IPv4.IsValid() {
		fmt.Fprintf(&b, ", ipv4 %s (%s)", st.Identity.IPv4, st.Identity.IPv4Network)
	}
	fmt.Fprintf(&b, "\nstatus %s", st.Status.Phase)
	if st.Status.Reason != "" {
		fmt.Fprintf(&b, ": %s", st.Status.Reason)
	}
	fmt.Fprintf(&b, "\ntunnels %d up of %d, %d babel routes, %d kernel routes\n",
		up, len(st.Tunnels), len(st.Routes), len(st.Kernel))
	// What the doctor found wrong, and the fixes in force: the rest is
	// in status --json and re6st-tui doctor.
	for _, f := range st.Findings {
		switch f.Status {
		case state.CheckWarn, state.CheckFail, state.CheckError:
			fmt.Fprintf(&b, "%s %s: %s\n", f.Status, f.Title, f.Explanation)
		}
		if fx, ok := f.Applied(); ok {
			fmt.Fprintf(&b, "fix %s in force: %s\n", fx.ID, fx.Summary)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
