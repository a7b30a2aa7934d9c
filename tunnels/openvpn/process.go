package openvpn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec describes one openvpn child.
type Spec struct {
	Name string   // tunnel name: labels logs, names the socket and pid file
	Path string   // openvpn binary
	Args []string // OpenVPN options; the management ones are added here
	Dir  string   // run directory for the management socket and pid file
	// ClientAuth adds --management-client-auth: the server then waits for
	// our verdict on every client.
	ClientAuth bool
	// ByteCount asks for >BYTECOUNT notifications at this period (whole
	// seconds, 0 = none).
	ByteCount time.Duration
	// Command builds the exec.Cmd (e.g. to run inside a network namespace);
	// nil means exec.CommandContext.
	Command func(ctx context.Context, name string, args ...string) *exec.Cmd
	Log     *slog.Logger
	// LogFile, if set, is where openvpn appends its log (re6st's
	// --ovpnlog: <log dir>/<tunnel>.log); the file is followed into Log as
	// stdout is otherwise.
	LogFile string
	// StartTimeout bounds the wait for openvpn to reach its management
	// interface; 0 means 15 s.
	StartTimeout time.Duration
}

// maxSockPath is the size of sun_path on Linux, terminating NUL included.
const maxSockPath = 108

// lastLines is how many log lines a Process keeps for exit reports.
const lastLines = 20

// Process is a running openvpn child in its own process group.
type Process struct {
	spec Spec
	cmd  *exec.Cmd
	conn *Conn
	done chan struct{}
	log  *slog.Logger

	follow *fileFollower // the LogFile, when there is one

	mu    sync.Mutex // guards ring and err
	ring  []string
	err   error
	ended time.Time
}

// Start runs openvpn and returns once its management interface answered.
// The child gets SIGKILL if this process dies (parent-death signal), and
// runs in its own process group so [Process.Kill] reaches everything it
// may have started.
func Start(ctx context.Context, s Spec) (*Process, error) {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.StartTimeout == 0 {
		s.StartTimeout = 15 * time.Second
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run directory %s: %w", s.Dir, err)
	}
	sock := filepath.Join(s.Dir, s.Name+".sock")
	if len(sock) >= maxSockPath {
		return nil, fmt.Errorf("management socket path %s is %d bytes, the limit is %d: use a shorter run directory", sock, len(sock), maxSockPath-1)
	}
	_ = os.Remove(sock) // a previous run's socket would make Listen fail
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen for openvpn management on %s: %w", sock, err)
	}
	defer ln.Close()
	defer os.Remove(sock)

	args := append([]string{}, s.Args...)
	args = append(args,
		"--management", sock, "unix", "--management-client", "--management-hold",
		"--writepid", PidFile(s.Dir, s.Name), "--suppress-timestamps")
	if s.ClientAuth {
		// Without --auth-user-pass-optional OpenVPN would also demand a
		// username and password, which re6st clients never send.
		args = append(args, "--management-client-auth", "--auth-user-pass-optional")
	}
	p := &Process{spec: s, done: make(chan struct{}), log: s.Log.With("tunnel", s.Name, "source", "openvpn")}
	if s.Command != nil {
		p.cmd = s.Command(context.WithoutCancel(ctx), s.Path, args...)
	} else {
		p.cmd = exec.Command(s.Path, args...)
	}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Stdin = nil
	w := &lineWriter{line: p.logLine}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	p.cmd.WaitDelay = 2 * time.Second // a stray holder of our pipe must not block Wait
	if s.LogFile != "" {
		if p.follow, err = followFile(s.LogFile, p.logLine); err != nil {
			return nil, err
		}
		p.cmd.Args = append(p.cmd.Args, "--log-append", s.LogFile)
	}
	if err := startCmd(p.cmd); err != nil {
		if p.follow != nil {
			p.follow.Close()
		}
		return nil, fmt.Errorf("start %s: %w", s.Path, err)
	}
	go p.wait(w)

	c, err := accept(ctx, ln, p.done, s.StartTimeout)
	if err != nil {
		p.Kill()
		<-p.done
		return nil, fmt.Errorf("openvpn %s did not reach its management interface: %w%s", s.Name, err, p.tail())
	}
	p.conn = NewConn(c, p.log)
	setup := []string{"state on", "log on"}
	if n := int(s.ByteCount / time.Second); n > 0 {
		setup = append(setup, "bytecount "+strconv.Itoa(n))
	}
	setup = append(setup, "hold release")
	for _, cmd := range setup {
		cctx, cancel := context.WithTimeout(ctx, s.StartTimeout)
		_, err := p.conn.Command(cctx, cmd)
		cancel()
		if err != nil {
			p.Kill()
			<-p.done
			return nil, fmt.Errorf("set up openvpn %s: %w%s", s.Name, err, p.tail())
		}
	}
	return p, nil
}

// accept waits for openvpn to connect, for it to exit, or for the timeout.
func accept(ctx context.Context, ln *net.UnixListener, exited <-chan struct{}, timeout time.Duration) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	_ = ln.SetDeadline(time.Now().Add(timeout))
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-exited:
		_ = ln.Close()
		if r := <-ch; r.err == nil {
			r.c.Close()
		}
		return nil, errors.New("it exited")
	case <-ctx.Done():
		_ = ln.Close()
		if r := <-ch; r.err == nil {
			r.c.Close()
		}
		return nil, ctx.Err()
	}
}

func (p *Process) wait(w *lineWriter) {
	err := p.cmd.Wait()
	w.flush()
	if p.follow != nil {
		p.follow.Close()
	}
	p.mu.Lock()
	p.err = err
	p.ended = time.Now()
	p.mu.Unlock()
	_ = os.Remove(PidFile(p.spec.Dir, p.spec.Name))
	if p.conn != nil {
		_ = p.conn.Close()
	}
	close(p.done)
}

func (p *Process) logLine(line string) {
	p.mu.Lock()
	if len(p.ring) == lastLines {
		copy(p.ring, p.ring[1:])
		p.ring = p.ring[:lastLines-1]
	}
	p.ring = append(p.ring, line)
	p.mu.Unlock()
	p.log.Log(context.Background(), levelOf(line), line)
}

// levelOf grades an openvpn log line: its stdout carries no level. At
// --verb 4 most lines are routine, so only milestones are Info.
func levelOf(line string) slog.Level {
	switch {
	case strings.HasPrefix(line, "  "): // option dump
		return slog.LevelDebug
	case strings.Contains(line, "fatal error") || strings.HasPrefix(line, "Options error"):
		return slog.LevelError
	case isCipherNoneWarning(line):
		// The network runs without encryption (re6st's default): OpenVPN
		// says so four times per tunnel; the node says it once.
		return slog.LevelDebug
	case strings.Contains(line, "WARNING") || strings.Contains(line, "ERROR") ||
		strings.Contains(line, "Error") || strings.Contains(line, "AUTH_FAILED"):
		// A peer's failure is the tunnel's problem, not the node's.
		return slog.LevelWarn
	}
	for _, m := range milestones {
		if strings.Contains(line, m) {
			return slog.LevelInfo
		}
	}
	return slog.LevelDebug
}

// isCipherNoneWarning matches OpenVPN's warnings about a data channel
// without encryption, and the SWEET32 note that comes with its default
// authentication.
func isCipherNoneWarning(line string) bool {
	return strings.Contains(line, "cipher 'none'") || strings.Contains(line, "'--cipher none' was specified") ||
		strings.Contains(line, "cipher with small block size")
}

// milestones are the openvpn lines worth seeing without debug logs.
var milestones = []string{
	"Initialization Sequence Completed", "Peer Connection Initiated",
	"Inactivity timeout", "process exiting", "client-instance exiting",
	"Connection reset", "Listening for incoming", "Closing TUN/TAP",
}

// Name is the tunnel name given in the Spec.
func (p *Process) Name() string { return p.spec.Name }

// Pid is the child's process id (and process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Conn is the management connection.
func (p *Process) Conn() *Conn { return p.conn }

// Done is closed once the child has exited and was reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the exit status once Done is closed.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// LastLines returns the last lines openvpn logged (up to 20).
func (p *Process) LastLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ring...)
}

func (p *Process) tail() string {
	l := p.LastLines()
	if len(l) == 0 {
		return ""
	}
	return "; openvpn said: " + strings.Join(l, " | ")
}

// Kill sends SIGKILL to the whole process group.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// Stop asks openvpn to exit (SIGTERM to its group), kills it after grace,
// and returns once it was reaped.
func (p *Process) Stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill()
		<-p.done
	}
}
