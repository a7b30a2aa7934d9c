package main

import (
	"context"
	"path/filepath"
	"strings"

	"re6st-tui/node/babelctl"
	"re6st-tui/node/identity"
)

// routesFromNode lists the node prefixes the local node's Babel routes
// reach, read as the Python registry reads them: from <run>/babeld.sock,
// which our node serves and re6st's patched babeld too, so the registry
// works beside either. getBootstrapPeer, versions and topology start from
// them.
func routesFromNode(runDir, network string) func(context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		d, err := babelctl.Query(ctx, filepath.Join(runDir, "babeld.sock"), babelctl.DumpInterfaces|babelctl.DumpNeighbours|babelctl.DumpRoutes)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		var out []string
		for _, r := range d.Routes {
			if !r.Installed || !r.Prefix.Addr().Is6() {
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
