package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/diag/system"
	"re6st-tui/node/config"
	"re6st-tui/node/control"
	"re6st-tui/node/identity"
)

// errUnhealthy makes doctor exit non-zero when a check failed, for
// scripts; the report itself says what.
var errUnhealthy = errors.New("some checks failed (see the report)")

// doctorCmd runs the doctor's checks once and prints the report.
func doctorCmd(args []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the report as JSON (a stable schema) instead of text")
	conf := fs.String("config", "/etc/re6stnet/re6stnet.conf", "the node's re6stnet.conf; checks that need it are skipped when it is missing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, err := system.Open("")
	if err != nil {
		return fmt.Errorf("doctor: %w", err)
	}
	d := &doctor.Doctor{Sys: k, Now: time.Now}
	ctx, stop := signalContext()
	defer stop()
	if n, run, err := nodeFromConfig(*conf); err != nil {
		fmt.Fprintf(os.Stderr, "re6st-tui doctor: the node's configuration: %v; the checks that need the node are skipped (give its re6stnet.conf with --config)\n", err)
	} else {
		d.Node = n
		d.Node.UPnP = runningUPnP(ctx, run)
	}
	report := d.RunAll(ctx)
	if *asJSON {
		err = report.WriteJSON(os.Stdout)
	} else {
		err = report.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	if !report.Healthy() {
		return errUnhealthy
	}
	return nil
}

// running is where the running node answers, and the servers whose
// ports it maps with UPnP.
type running struct {
	socket string
	ipv4   []doctor.Port
}

// nodeFromConfig gathers what the checks need from re6stnet.conf and the
// files it names, read from the configuration's directory as re6stnet
// runs under systemd, and how to ask the running node the rest.
func nodeFromConfig(path string) (n doctor.Node, run running, err error) {
	if _, err := os.Stat(path); err != nil {
		return n, run, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return n, run, err
	}
	if err := os.Chdir(filepath.Dir(path)); err != nil {
		return n, run, err
	}
	defer os.Chdir(wd)
	cfg, err := config.ParseNode([]string{"@" + filepath.Base(path)})
	if err != nil {
		return n, run, err
	}
	id, err := identity.Load(cfg.CA, cfg.Cert, cfg.Key, time.Now())
	if err != nil {
		return n, run, err
	}
	network, _ := identity.AddrFromBits(id.CA.Network)
	n = doctor.Node{
		Network:    netip.PrefixFrom(network, len(id.CA.Network)),
		Gateway:    cfg.Gateway,
		Addr:       id.Addr,
		Interfaces: append([]string{cfg.MainInterface}, cfg.Interfaces...),
		Registry:   cfg.Registry,
		CA:         id.CA.Cert,
		Cert:       id.Cert,
	}
	for _, pp := range cfg.PP {
		n.TunnelPorts = append(n.TunnelPorts, doctor.Port{Proto: strings.TrimSuffix(pp.Proto, "6"), Port: int(pp.Port)})
		if pp.Proto == "udp" || pp.Proto == "tcp" { // UPnP maps the IPv4 servers
			run.ipv4 = append(run.ipv4, doctor.Port{Proto: pp.Proto, Port: int(pp.Port)})
		}
	}
	run.socket, err = filepath.Abs(filepath.Join(cfg.RunDir, "control.sock"))
	return n, run, err
}

// runningUPnP asks the running node for its UPnP mappings; nil when it
// does not answer, which the UPnP check reports as unknown.
func runningUPnP(ctx context.Context, run running) *doctor.UPnP {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := control.DialContext(ctx, run.socket)
	if err != nil {
		return nil
	}
	defer c.Close()
	u := c.Snapshot().UPnP
	out := &doctor.UPnP{Phase: string(u.Phase), Gateway: u.Gateway, External: u.External, Renewed: u.Renewed,
		Error: u.Error, Ports: run.ipv4}
	for _, m := range u.Mappings {
		out.Mappings = append(out.Mappings, doctor.Mapping{Proto: m.Proto, Internal: m.Internal, External: m.External})
	}
	return out
}
