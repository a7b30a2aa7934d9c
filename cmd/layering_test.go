// Package cmd holds no code of its own: each binary has its folder below.
// This test sits here, at the top of the import graph, because it checks the
// whole module's layering: cmd → ui → node → {tunnels, routing, diag}.
package cmd

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "re6st-tui"

// banned lists, per layer, the packages that layer must never depend on,
// even indirectly, and why.
var banned = []struct {
	layer  string
	prefix string
	why    string
}{
	{"tunnels", module + "/node", "tunnels is below the node engine"},
	{"tunnels", module + "/ui", "tunnels is below the UI"},
	{"tunnels", module + "/cmd", "binaries sit on top"},
	{"tunnels", module + "/routing", "tunnels and routing are independent"},
	{"routing", module + "/node", "routing is below the node engine"},
	{"routing", module + "/ui", "routing is below the UI"},
	{"routing", module + "/cmd", "binaries sit on top"},
	{"routing", module + "/tunnels", "tunnels and routing are independent"},
	{"diag", module + "/node", "diag is below the node engine"},
	{"diag", module + "/ui", "diag is below the UI"},
	{"diag", module + "/cmd", "binaries sit on top"},
	{"node", module + "/ui", "the engine runs headless (re6stnet)"},
	{"node", module + "/cmd", "binaries sit on top"},
	{"node", "charm.land/", "the engine runs headless: no UI libraries"},
	{"node", "github.com/charmbracelet/", "the engine runs headless: no UI libraries"},
	{"ui", module + "/cmd", "binaries sit on top"},
	{"ui", "github.com/vishvananda/", "the UI never touches the kernel; it asks the engine"},
	{"ui", "github.com/prometheus-community/pro-bing", "the UI never opens sockets; diag does"},
}

type listedPackage struct {
	ImportPath string
	Deps       []string
}

func TestLayering(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		layer := layerOf(p.ImportPath)
		for _, b := range banned {
			if b.layer != layer {
				continue
			}
			for _, dep := range p.Deps {
				if strings.HasPrefix(dep, b.prefix) {
					t.Errorf("%s imports %s: %s", p.ImportPath, dep, b.why)
				}
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("go list returned no packages")
	}
}

// layerOf returns the top-level folder of a package of this module.
func layerOf(importPath string) string {
	rest, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return ""
	}
	layer, _, _ := strings.Cut(rest, "/")
	return layer
}

func TestLayerOf(t *testing.T) {
	for in, want := range map[string]string{
		module + "/node/netlab":     "node",
		module + "/routing":         "routing",
		module + "/cmd/re6st-tui":   "cmd",
		"github.com/x/re6st-tui/ui": "",
	} {
		if got := layerOf(in); got != want {
			t.Errorf("layerOf(%q) = %q, want %q", in, got, want)
		}
	}
}
