package tunnels

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"re6st-tui/node/netlab"
)

// recordHandler keeps "tunnel: message" for each record that has a tunnel.
type recordHandler struct {
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newRecordHandler() recordHandler {
	return recordHandler{mu: &sync.Mutex{}, lines: new([]string)}
}

func (h recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordHandler) WithGroup(string) slog.Handler            { return h }
func (h recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return h
}

func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	tunnel := ""
	for _, a := range h.attrs {
		if a.Key == "tunnel" {
			tunnel = a.Value.String()
		}
	}
	h.mu.Lock()
	*h.lines = append(*h.lines, tunnel+": "+r.Message)
	h.mu.Unlock()
	return nil
}

func (h recordHandler) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(*h.lines, "\n")
}

// has reports whether tunnel logged a line containing text.
func (h recordHandler) has(tunnel, text string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range *h.lines {
		if msg, ok := strings.CutPrefix(l, tunnel+": "); ok && strings.Contains(msg, text) {
			return true
		}
	}
	return false
}

// TestLabOpenVPNLogFiles: with LogDir (re6st's --ovpnlog) each OpenVPN
// writes its own file, and its lines still reach the node's log, labelled.
func TestLabOpenVPNLogFiles(t *testing.T) {
	lab := netlab.New(t, netlab.Config{Hosts: 2})
	pki := newPKI(t, labNetwork)
	h1, h2 := lab.Host("h1"), lab.Host("h2")
	logs := map[string]recordHandler{}
	node := func(h *netlab.Host, cn string, serial int64) *labNode {
		cfg := labConfig(t, h, pki, cn, serial)
		cfg.LogDir = t.TempDir()
		logs[h.Name] = newRecordHandler()
		cfg.Log = slog.New(logs[h.Name])
		return startNode(t, h, cfg)
	}
	srv, cli := node(h1, "1/16", 1), node(h2, "2/16", 2)
	if err := srv.mgr.Serve(context.Background(), TCP, 1194); err != nil {
		t.Fatal(err)
	}
	srv.ev.wait(t, 10*time.Second, ServerUp, nil)
	iface, err := cli.mgr.Open("1/16", []Address{address(h1, TCP, 1194)})
	if err != nil {
		t.Fatal(err)
	}
	up := cli.ev.wait(t, 20*time.Second, Connected, func(e Event) bool { return e.Tunnel == iface })
	if up.ExternalIP != h2.IPv4 {
		t.Errorf("external IP %v, want %v: the management interface still carries it", up.ExternalIP, h2.IPv4)
	}
	for _, c := range []struct {
		n      *labNode
		tunnel string
		line   string
	}{
		{cli, iface, "Initialization Sequence Completed"},
		{srv, TCP.Iface(), "Peer Connection Initiated"},
	} {
		file := filepath.Join(c.n.cfg.LogDir, c.tunnel+".log")
		netlab.WaitFor(t, 10*time.Second, c.line+" in "+file+" and in the log", func() error {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			if !strings.Contains(string(b), c.line) {
				return fmt.Errorf("not in the file, which has:\n%s", b)
			}
			if h := logs[c.n.host.Name]; !h.has(c.tunnel, c.line) {
				return fmt.Errorf("not in the log, which has:\n%s", h.String())
			}
			return nil
		})
	}
}
