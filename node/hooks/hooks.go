// Package hooks runs re6stnet's --up command and --daemon commands with
// the re6stnet_* environment variables that tell them the node's
// addresses.
package hooks

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Env is what the commands are told about the node.
type Env struct {
	IP      netip.Addr   // re6stnet_ip: the node address
	Iface   string       // re6stnet_iface: the main interface
	Subnet  netip.Prefix // re6stnet_subnet
	Network netip.Prefix // re6stnet_network
}

// Vars returns the environment variables, as "name=value".
func (e Env) Vars() []string {
	return []string{
		"re6stnet_ip=" + e.IP.String(),
		"re6stnet_iface=" + e.Iface,
		"re6stnet_subnet=" + e.Subnet.String(),
		"re6stnet_network=" + e.Network.String(),
	}
}

func shell(ctx context.Context, env Env, command string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), env.Vars()...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	return cmd
}

// Up runs the --up command and waits for it; a failure stops the node.
func Up(ctx context.Context, env Env, command string, log *slog.Logger) error {
	out, err := shell(ctx, env, command).CombinedOutput()
	if len(out) > 0 {
		log.Info("--up output", "output", string(out))
	}
	if err != nil {
		return fmt.Errorf("--up %q failed: %w: %s", command, err, out)
	}
	return nil
}

// Daemons are the --daemon commands, running in the background.
type Daemons struct {
	log  *slog.Logger
	wg   sync.WaitGroup
	cmds []*exec.Cmd
	done []chan struct{}
}

// StartDaemons starts each command in its own process group.
func StartDaemons(env Env, commands []string, log *slog.Logger) (*Daemons, error) {
	d := &Daemons{log: log}
	for _, c := range commands {
		cmd := shell(context.Background(), env, c)
		if err := cmd.Start(); err != nil {
			d.Stop()
			return nil, fmt.Errorf("--daemon %q: %w", c, err)
		}
		done := make(chan struct{})
		d.cmds, d.done = append(d.cmds, cmd), append(d.done, done)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			err := cmd.Wait()
			close(done)
			log.Info("daemon exited", "command", c, "err", err)
		}()
	}
	return d, nil
}

// Stop sends SIGTERM to every daemon, SIGKILL to those still running 5 s
// later, and waits for them, as re6st does.
func (d *Daemons) Stop() {
	for i, cmd := range d.cmds {
		select {
		case <-d.done[i]:
			continue
		default:
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	deadline := time.After(5 * time.Second)
	for i, cmd := range d.cmds {
		select {
		case <-d.done[i]:
		case <-deadline:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	d.wg.Wait()
}
