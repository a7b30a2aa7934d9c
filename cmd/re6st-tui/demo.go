package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"re6st-tui/node/netlab"
)

// demo builds a lab, shows that its hosts reach each other, and removes it
// when the user presses Enter or Ctrl-C (or at once with -hold=false).
func demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	hosts := fs.Int("hosts", 3, "number of hosts on the lab's internet segment")
	hold := fs.Bool("hold", true, "keep the lab until Enter or Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := netlab.CanRun(); err != nil {
		return fmt.Errorf("the demo builds network namespaces: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Printf("building a lab of %d hosts...\n", *hosts)
	lab, err := netlab.Build(ctx, netlab.Config{Hosts: *hosts}, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := lab.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "re6st-tui: remove lab:", err)
		} else {
			fmt.Println("lab removed")
		}
	}()
	if err := showLab(ctx, os.Stdout, lab); err != nil {
		return err
	}
	if !*hold {
		return nil
	}
	fmt.Println("\nnamespaces:", lab.Namespaces())
	fmt.Println("press Enter (or Ctrl-C) to remove the lab")
	waitEnterOrDone(ctx)
	return nil
}

// showLab prints each host's addresses and the round-trip time of a ping
// from every host to every other, over IPv4 and link-local IPv6.
func showLab(ctx context.Context, out io.Writer, lab *netlab.Lab) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "HOST\tNAMESPACE\tIPv4\tIPv6\tLINK-LOCAL")
	for _, h := range lab.Hosts() {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", h.Name, h.NS, h.IPv4, h.IPv6, h.LinkLocal)
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FROM\tTO\tIPv4 RTT\tLINK-LOCAL RTT")
	failed := 0
	for _, from := range lab.Hosts() {
		for _, to := range lab.Hosts() {
			if from == to {
				continue
			}
			v4 := pingRTT(ctx, from, to.IPv4.String(), &failed)
			ll := pingRTT(ctx, from, to.LinkLocal.String()+"%"+from.Iface, &failed)
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", from.Name, to.Name, v4, ll)
		}
	}
	w.Flush()
	if failed > 0 {
		return fmt.Errorf("%d pings got no answer", failed)
	}
	return nil
}

func pingRTT(ctx context.Context, from *netlab.Host, dst string, failed *int) string {
	stats, err := from.Ping(ctx, dst, 3)
	if err != nil {
		*failed++
		return "no reply"
	}
	return stats.AvgRtt.Round(time.Microsecond).String()
}

func waitEnterOrDone(ctx context.Context) {
	enter := make(chan struct{})
	go func() {
		var b [1]byte
		os.Stdin.Read(b[:])
		close(enter)
	}()
	select {
	case <-enter:
	case <-ctx.Done():
	}
}
