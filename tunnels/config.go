package tunnels

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"time"

	"re6st-tui/tunnels/tap"
)

// Config sets up a Manager. Paths are files on disk, as OpenVPN reads them.
type Config struct {
	// OpenVPN is the openvpn binary, a name looked up in PATH or a path;
	// "" means "openvpn".
	OpenVPN string
	// RunDir holds management sockets and pid files; it identifies the run
	// whose leftovers Start cleans, so use one per node.
	RunDir        string
	CA, Cert, Key string
	// DH is the Diffie-Hellman parameter file the servers use (re6st gets
	// it from the registry's getDh). Needed only to serve.
	DH string
	// Encrypt false turns the data channel cipher off (netconf encrypt).
	Encrypt bool
	// Hello is Babel's hello interval; tunnels die after 4 × Hello of
	// silence (--ping-exit), Babel's hellos being the keep-alive.
	Hello time.Duration
	// MaxClients per server; ClientCount is the number of client taps.
	MaxClients, ClientCount int
	// IPv4 is the node's IPv4 address and length (--ifconfig), if any.
	IPv4 netip.Prefix
	// ExtraArgs are appended to every openvpn command line (re6st's -O).
	ExtraArgs []string
	// ByteCount is the period of byte counter notifications (whole
	// seconds); 0 means 1 s.
	ByteCount time.Duration
	// LogDir, if set, gets one log file per OpenVPN process, named after
	// its tunnel (re6st's --ovpnlog); the files are followed into Log.
	LogDir string
	// CRLDir, if set, is a directory kept by [SetRevoked]: OpenVPN itself
	// then refuses peers (servers we dial included) whose certificate
	// serial is revoked.
	CRLDir string
	// Admit decides on a client asking to join a server, e.g. refusing a
	// revoked serial. nil admits everyone. It runs in the server's event
	// loop: keep it quick and never call the Manager from it.
	Admit func(Peer) error
	// Taps makes the tap devices; nil means tap.Links{} (the current
	// network namespace).
	Taps tap.Devices
	// Command builds each openvpn exec.Cmd (to run it in a namespace); nil
	// means exec.CommandContext.
	Command func(ctx context.Context, name string, args ...string) *exec.Cmd
	Log     *slog.Logger
}

// ErrNoOpenVPN is returned when the openvpn binary cannot be found.
var ErrNoOpenVPN = errors.New("openvpn not found")

func (c *Config) setDefaults() {
	if c.OpenVPN == "" {
		c.OpenVPN = "openvpn"
	}
	if c.Hello == 0 {
		c.Hello = 15 * time.Second
	}
	if c.ByteCount == 0 {
		c.ByteCount = time.Second
	}
	if c.Taps == nil {
		c.Taps = tap.Links{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// check validates what can be checked before anything runs, so that the
// error names the file or option to fix.
func (c *Config) check() error {
	path, err := exec.LookPath(c.OpenVPN)
	if err != nil {
		return fmt.Errorf("%w (%s): install OpenVPN 2.6 (apt-get install openvpn) or give its path: %w", ErrNoOpenVPN, c.OpenVPN, err)
	}
	c.OpenVPN = path
	if c.RunDir == "" {
		return errors.New("tunnels: no run directory: set Config.RunDir")
	}
	for _, f := range []struct{ what, path string }{{"CA certificate", c.CA}, {"certificate", c.Cert}, {"private key", c.Key}} {
		if err := readable(f.what, f.path); err != nil {
			return err
		}
	}
	if c.DH != "" {
		if err := readable("DH parameters", c.DH); err != nil {
			return err
		}
	}
	if c.Hello < time.Second {
		return fmt.Errorf("hello interval %v below 1s: OpenVPN's --ping-exit counts whole seconds", c.Hello)
	}
	if c.IPv4.IsValid() && !c.IPv4.Addr().Is4() {
		return fmt.Errorf("ipv4 %v is not an IPv4 prefix", c.IPv4)
	}
	return nil
}

func readable(what, path string) error {
	if path == "" {
		return fmt.Errorf("no %s file given: run re6st-conf to get one", what)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w: check the path or run re6st-conf again", what, path, err)
	}
	return f.Close()
}
