package ui

import (
	"fmt"
	"sync"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

var goldenStates = []struct {
	name string
	st   func() state.State
}{
	{"empty", func() state.State { return fake.Empty(t0) }},
	{"typical", func() state.State { return fake.Typical(t0) }},
	{"large", sync.OnceValue(func() state.State { return fake.Large(t0, 10000, 100) })},
}

// goldenScreens are the screens worth pinning, each reached by keys.
var goldenScreens = []struct {
	name string
	keys []string
}{
	{"peers", nil},
	{"peers-detail", []string{"down", "enter"}},
	{"peers-sorted-rtt", []string{"s", "s", "s"}},
	{"peers-kill-confirm", []string{"x"}},
	{"routes", []string{"2"}},
	{"routes-re6st-only", []string{"2", "a"}},
	{"routes-explain", []string{"2", "down", "down", "down", "down", "enter"}},
	{"babel-neighbours", []string{"3"}},
	{"babel-routes", []string{"3", "right"}},
	{"babel-sources", []string{"3", "right", "right"}},
	{"babel-xroutes", []string{"3", "left"}},
	{"logs", []string{"4"}},
	{"logs-debug", []string{"4", "v", "v", "v"}},
	{"trace-idle", []string{"5"}},
	{"help", []string{"?"}},
	{"fix-confirm", []string{"F"}},
}

func TestGolden(t *testing.T) {
	for _, gs := range goldenStates {
		for _, sc := range goldenScreens {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				name := fmt.Sprintf("%s/%s/%dx%d", gs.name, sc.name, size[0], size[1])
				t.Run(name, func(t *testing.T) {
					m, eng := newModel(t, gs.st(), size[0], size[1])
					warm(m, eng)
					press(m, sc.keys...)
					requireGolden(t, screen(t, m))
				})
			}
		}
	}
}

// TestGoldenColour pins what 16-colour and NO_COLOR terminals receive.
func TestGoldenColour(t *testing.T) {
	for _, p := range []colorprofile.Profile{colorprofile.ANSI, colorprofile.ASCII} {
		t.Run(p.String(), func(t *testing.T) {
			m, _ := newModel(t, fake.Typical(t0), 80, 24)
			press(m, "2")
			requireGolden(t, coloured(t, m, p))
		})
	}
}
