package ui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"re6st-tui/node/state"
	"re6st-tui/ui/fake"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// newModel builds a dashboard on a fake engine holding st, sized w×h.
func newModel(t testing.TB, st state.State, w, h int) (*Model, *fake.Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	eng := fake.New(st)
	m := New(ctx, eng, Options{Now: t0})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, eng
}

// keyMsg turns "enter", "ctrl+c", "F" and the like into a key press.
func keyMsg(s string) tea.KeyPressMsg {
	special := map[string]tea.Key{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown},
		"left": {Code: tea.KeyLeft}, "right": {Code: tea.KeyRight}, "pgdown": {Code: tea.KeyPgDown},
		"pgup": {Code: tea.KeyPgUp}, "home": {Code: tea.KeyHome}, "end": {Code: tea.KeyEnd},
		"ctrl+c": {Code: 'c', Mod: tea.ModCtrl}, "space": {Code: tea.KeySpace, Text: " "},
		"backspace": {Code: tea.KeyBackspace},
	}
	if k, ok := special[s]; ok {
		return tea.KeyPressMsg(k)
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg(tea.Key{Code: r, Text: s})
}

// press sends keys one by one and returns the last command.
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		_, cmd = m.Update(keyMsg(k))
	}
	return cmd
}

// typeText types s into whatever input has the keyboard.
func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(keyMsg(string(r)))
	}
}

// drain applies every event the engine has queued for m.
func drain(m *Model) {
	for {
		select {
		case ev, ok := <-m.events:
			if !ok {
				m.Update(goneMsg{})
				return
			}
			m.Update(eventMsg{ev})
		default:
			m.Update(flushMsg{})
			return
		}
	}
}

// screen renders m without colours, checking the frame is exactly w×h.
func screen(t testing.TB, m *Model) string {
	t.Helper()
	out := ansi.Strip(m.View().Content)
	lines := strings.Split(out, "\n")
	if len(lines) != m.height {
		t.Errorf("view has %d lines, want %d", len(lines), m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > m.width {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i+1, w, m.width, l)
		}
	}
	return out
}

// coloured renders m as a terminal with the given profile would show it.
func coloured(t testing.TB, m *Model, p colorprofile.Profile) string {
	t.Helper()
	var buf bytes.Buffer
	w := colorprofile.NewWriter(&buf, nil)
	w.Profile = p
	if _, err := w.WriteString(m.View().Content); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func requireGolden(t *testing.T, s string) {
	t.Helper()
	golden.RequireEqual(t, s)
}

// mustContain fails unless the screen shows every want.
func mustContain(t testing.TB, m *Model, want ...string) {
	t.Helper()
	s := screen(t, m)
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("screen lacks %q:\n%s", w, s)
		}
	}
}

// warm runs the engine for one second and ticks, so rates are known.
func warm(m *Model, eng *fake.Engine) {
	next := t0.Add(time.Second)
	eng.Step(next)
	drain(m)
	m.Update(tickMsg(next))
}

func fakeProgress(f float64) state.EnrollProgress {
	return state.EnrollProgress{Step: state.StepKeygen, Fraction: f, Detail: "RSA 2048"}
}
