package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"re6st-tui/diag/doctor"
	"re6st-tui/diag/system"
	"re6st-tui/node/config"
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
	if n, err := nodeFromConfig(*conf); err != nil {
		fmt.Fprintln(os.Stderr, "re6st-tui doctor:", err, "- node checks are skipped")
	} else {
		d.Node = n
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// nodeFromConfig gathers what the checks need from re6stnet.conf and the
// files it names, read from the configuration's directory as re6stnet
// runs under systemd.
func nodeFromConfig(path string) (doctor.Node, error) {
	var n doctor.Node
	if _, err := os.Stat(path); err != nil {
		return n, err
	}
	wd, err := os.Getwd()
	if err != nil {
		return n, err
	}
	if err := os.Chdir(filepath.Dir(path)); err != nil {
		return n, err
	}
	defer os.Chdir(wd)
	cfg, err := config.ParseNode([]string{"@" + filepath.Base(path)})
	if err != nil {
		return n, err
	}
	id, err := identity.Load(cfg.CA, cfg.Cert, cfg.Key, time.Now())
	if err != nil {
		return n, err
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
	}
	return n, nil
}
