// Command re6st-conf enrolls this machine in a re6st network: it fetches
// the CA from the registry, gets a certificate (with a mailed token or
// anonymously) and writes ca.crt, cert.crt, cert.key and re6stnet.conf.
// Options are re6st-conf's.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/vishvananda/netlink"

	"re6st-tui/node/config"
	"re6st-tui/node/enroll"
	"re6st-tui/node/identity"
)

var options = []config.Option{
	{Long: "fingerprint", Args: 1},
	{Long: "registry", Args: 1},
	{Long: "is-needed"},
	{Long: "ca-only"},
	{Long: "dir", Short: 'd', Args: 1},
	{Long: "req", Short: 'r', Args: 2, Repeat: true},
	{Long: "email", Args: 1},
	{Long: "token", Args: 1},
	{Long: "anonymous"},
	{Long: "location", Args: 1},
}

// exitError carries an exit status without a message.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdin, os.Stdout)
	var code exitError
	switch {
	case errors.As(err, &code):
		os.Exit(int(code))
	case err != nil:
		fmt.Fprintln(os.Stderr, "re6st-conf:", err)
		os.Exit(1)
	}
}

func last(set *config.Set, name string) string {
	if occ, ok := set.Last(name); ok {
		return occ.Values[0]
	}
	return ""
}

func run(ctx context.Context, args []string, stdin io.Reader, out io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fmt.Fprint(out, usage)
			return nil
		}
	}
	set, err := config.NewParser(options).Parse(args)
	if err != nil {
		return err
	}
	url := last(set, "registry")
	if url == "" {
		return errors.New("the --registry URL option is required")
	}
	anonymous := set.Has("anonymous")
	email, token := last(set, "email"), last(set, "token")
	if anonymous && (set.Has("email") || set.Has("token")) {
		return errors.New("--anonymous conflicts with --email/--token: choose one")
	}
	var extra []identity.Attr
	for _, occ := range set.Options["req"] {
		extra = append(extra, identity.Attr{Key: occ.Values[0], Value: occ.Values[1]})
	}
	e, err := enroll.New(url, last(set, "dir"))
	if err != nil {
		return err
	}
	ca, err := e.FetchCA(ctx)
	if err != nil {
		return err
	}
	if fp := last(set, "fingerprint"); fp != "" {
		if err := e.CheckFingerprint(fp); err != nil {
			return err
		}
	} else {
		sum, _ := e.Fingerprint("sha256")
		fmt.Fprintf(out, "WARNING: it is strongly recommended to use --fingerprint option (this CA is %s).\n", sum)
	}
	if set.Has("is-needed") {
		if member(ca) {
			return exitError(1)
		}
		return nil
	}
	if err := e.CheckWritable(); err != nil {
		return err
	}
	if err := e.WriteCA(); err != nil {
		return err
	}
	if set.Has("ca-only") {
		return nil
	}
	subject, err := e.Subject(extra)
	if err != nil {
		return err
	}
	in := bufio.NewReader(stdin)
	tokenAdvice := false
	if !anonymous && token == "" {
		if email == "" {
			if email, err = prompt(in, out, "Please enter your email address: "); err != nil {
				return err
			}
		}
		if err := e.RequestToken(ctx, email); err != nil {
			return err
		}
		tokenAdvice = true
		for token == "" {
			if token, err = prompt(in, out, "Please enter your token: "); err != nil {
				return err
			}
		}
	}
	if _, statErr := os.Stat(e.Dir + "/" + enroll.KeyFile); statErr == nil {
		fmt.Fprintln(out, "Reusing existing key.")
	} else {
		fmt.Fprintf(out, "Generating %d-bit key ...\n", ca.Bits())
	}
	if err := e.PrepareKey(); err != nil {
		return err
	}
	fmt.Fprintln(out, "Requesting certificate ...")
	cert, err := e.RequestCertificate(ctx, token, subject, last(set, "location"))
	if err != nil {
		if tokenAdvice && !errors.Is(err, enroll.ErrInvalidToken) {
			fmt.Fprintln(out, "Use --token to retry without asking a new token")
		}
		return err
	}
	const layout = "Mon Jan _2 15:04:05 2006"
	fmt.Fprintf(out, "Setup complete. Certificate is valid until %s UTC and will be automatically renewed after %s UTC.\n"+
		"Do not forget to backup to your private key (%s) or you will lose your assigned subnet.\n",
		cert.NotAfter.UTC().Format(layout), identity.RenewAt(cert).UTC().Format(layout), enroll.KeyFile)
	written, err := e.WriteConf(last(set, "location"))
	if err != nil {
		return err
	}
	if written {
		fmt.Fprintln(out, "Sample configuration file created.")
	}
	res, err := e.Result()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Your subnet: %s (CN=%s)\n", res.Subnet, res.CN)
	return nil
}

func prompt(in *bufio.Reader, out io.Writer, q string) (string, error) {
	fmt.Fprint(out, q)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no answer on standard input: give --email/--token (or --anonymous) instead")
	}
	return strings.TrimSpace(line), nil
}

// member reports whether the route to the network already uses a source
// address inside it: this host is a node, or sits behind a re6st router.
func member(ca *identity.CA) bool {
	routes, err := netlink.RouteGet(net.IP(ca.Prefix.Addr().AsSlice()))
	if err != nil || len(routes) == 0 || routes[0].Src == nil {
		return false
	}
	src, ok := netipFrom(routes[0].Src)
	return ok && ca.Prefix.Contains(src)
}
