package main

import (
	"context"
	"path/filepath"
	"strings"

	"re6st-tui/node/control"
	"re6st-tui/node/identity"
)

// routesFromNode lists the node prefixes the local node's Babel routes
// reach, read from its control socket in the shared run directory, as the
// Python registry reads its babeld's table: getBootstrapPeer, versions and
// topology start from them.
func routesFromNode(runDir, network string) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		c, err := control.DialContext(ctx, filepath.Join(runDir, "control.sock"))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		seen := map[string]bool{}
		var out []string
		for _, r := range c.Snapshot().Routes {
			if !r.Installed {
				continue
			}
			bits := identity.BitsFromAddr(r.Prefix.Addr(), r.Prefix.Bits())
			p, ok := strings.CutPrefix(bits, network)
			if ok && p != "" && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
		return out, nil
	}
}
