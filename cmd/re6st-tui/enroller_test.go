package main

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"

	"re6st-tui/node/enroll"
	"re6st-tui/node/registry"
	"re6st-tui/node/registry/regtest"
	"re6st-tui/node/state"
)

var network = netip.MustParsePrefix("2001:db8:42::/48")

// startRegistry serves our registry over loopback HTTP, mailing tokens
// into an mbox file. anonymous=false turns anonymous enrollment off.
func startRegistry(t *testing.T, anonymous bool) (url, mbox string) {
	t.Helper()
	s := regtest.Start(t, func(c *registry.Config) {
		if !anonymous {
			c.AnonymousPrefixLength = 0
		}
	})
	return s.URL, s.MBox
}

func noProgress(state.EnrollProgress) {}

func TestRegistryEnrollerAnonymous(t *testing.T) {
	url, _ := startRegistry(t, true)
	ctx := context.Background()
	dir := t.TempDir()
	r := &registryEnroller{dir: dir}
	ca, err := r.FetchCA(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Network != network || ca.Subject == "" || strings.Contains(ca.Subject, "#") || !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(ca.Fingerprint) {
		t.Fatalf("CA info %+v", ca)
	}
	var steps []state.EnrollStep
	e, err := r.Enroll(ctx, state.EnrollRequest{}, func(p state.EnrollProgress) { steps = append(steps, p.Step) })
	if err != nil {
		t.Fatal(err)
	}
	if !network.Contains(e.Prefix.Addr()) || len(steps) != 3 || steps[2] != state.StepReceived {
		t.Fatalf("enrollment %+v, steps %v", e, steps)
	}
	files, err := r.WriteFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("file not written: %v", err)
		}
	}
}

func TestRegistryEnrollerToken(t *testing.T) {
	url, mbox := startRegistry(t, false)
	ctx := context.Background()
	r := &registryEnroller{dir: t.TempDir()}
	if _, err := r.FetchCA(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Enroll(ctx, state.EnrollRequest{}, noProgress); !errors.Is(err, enroll.ErrRegistrationDisabled) {
		t.Fatalf("anonymous on a token-only registry: %v", err)
	}
	if err := r.RequestToken(ctx, "me@example.net"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Enroll(ctx, state.EnrollRequest{Token: "wrong"}, noProgress); !errors.Is(err, enroll.ErrInvalidToken) {
		t.Fatalf("wrong token: %v", err)
	}
	f, err := os.Open(mbox)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	toks, err := registry.TokensFromMbox(f)
	if err != nil || len(toks) != 1 {
		t.Fatalf("mbox: %v %v", toks, err)
	}
	e, err := r.Enroll(ctx, state.EnrollRequest{Email: "me@example.net", Token: toks[0].Token}, noProgress)
	if err != nil || !network.Contains(e.Prefix.Addr()) {
		t.Fatalf("token enrollment: %+v %v", e, err)
	}
}

func TestRegistryEnrollerUnreachable(t *testing.T) {
	r := &registryEnroller{dir: t.TempDir()}
	_, err := r.FetchCA(context.Background(), "http://127.0.0.1:1/")
	if err == nil {
		t.Fatal("fetching from a closed port succeeded")
	}
	if _, err := r.WriteFiles(context.Background()); err == nil {
		t.Fatal("WriteFiles before enrolling succeeded")
	}
}

func TestColonHex(t *testing.T) {
	if got := colonHex("sha256:3a7f09"); got != "3A:7F:09" {
		t.Fatalf("colonHex = %q", got)
	}
}
