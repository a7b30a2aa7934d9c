package ui

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// prompt is a modal question: a confirmation (input nil) or a line of
// text. accept runs on yes/enter and returns the command to start.
type prompt struct {
	title string
	lines []string
	// code are exact changes (commands), each on a line of its own that
	// the box widens for rather than wraps.
	code    []string
	input   *textinput.Model
	choices []choice // when set, a digit picks one; accept gets "1", "2"…
	accept  func(m *Model, value string) tea.Cmd
}

// choice is one option of a prompt, with its exact change if any.
type choice struct{ text, code string }

// proseWidth is where a prompt's text wraps.
const proseWidth = 74

func confirm(title string, lines []string, accept func(m *Model, value string) tea.Cmd) *prompt {
	return &prompt{title: title, lines: lines, accept: accept}
}

func ask(title, placeholder string, accept func(m *Model, value string) tea.Cmd) (*prompt, tea.Cmd) {
	in := textinput.New()
	in.Placeholder = placeholder
	in.Prompt = "> "
	in.SetWidth(max(len(placeholder), 30) + 2)
	cmd := in.Focus()
	return &prompt{title: title, input: &in, accept: accept}, cmd
}

func (p *prompt) key(m *Model, msg tea.KeyPressMsg) tea.Cmd {
	if p.choices != nil {
		k := msg.String()
		if n, err := strconv.Atoi(k); err == nil && n >= 1 && n <= len(p.choices) {
			m.prompt = nil
			return p.accept(m, k)
		}
		if key.Matches(msg, m.keys.No) {
			m.prompt = nil
		}
		return nil
	}
	if p.input == nil {
		switch {
		case key.Matches(msg, m.keys.Yes):
			m.prompt = nil
			return p.accept(m, "")
		case key.Matches(msg, m.keys.No):
			m.prompt = nil
		}
		return nil
	}
	switch msg.String() {
	case "enter":
		m.prompt = nil
		return p.accept(m, strings.TrimSpace(p.input.Value()))
	case "esc":
		m.prompt = nil
		return nil
	}
	return p.update(msg)
}

func (p *prompt) update(msg tea.Msg) tea.Cmd {
	if p.input == nil {
		return nil
	}
	in, cmd := p.input.Update(msg)
	*p.input = in
	return cmd
}

func (p *prompt) view(m *Model, w, h int) string {
	st := &m.styles
	inner := w - 6 // the box keeps a column each side, then border and padding
	var b strings.Builder
	b.WriteString(st.Bold.Render(p.title))
	for _, l := range p.lines {
		b.WriteString("\n" + lipgloss.Wrap(l, min(inner, proseWidth), " "))
	}
	for _, c := range p.code {
		b.WriteString("\n  " + st.Key.Render(hang(c, inner-2, "  ")))
	}
	b.WriteString("\n\n")
	for i, c := range p.choices {
		text := hang(c.text, min(inner, proseWidth)-3, "   ")
		if c.code != "" {
			text += "\n   " + st.Key.Render(hang(c.code, inner-3, "   "))
		}
		fmt.Fprintf(&b, "%s  %s\n\n", st.Key.Render(strconv.Itoa(i+1)), text)
	}
	switch {
	case p.choices != nil:
		b.WriteString(st.Dim.Render(fmt.Sprintf("1-%d apply that fix · esc cancel", len(p.choices))))
	case p.input != nil:
		b.WriteString(p.input.View())
		b.WriteString("\n\n" + st.Dim.Render("enter confirm · esc cancel"))
	default:
		b.WriteString(st.Key.Render("y") + " yes · " + st.Key.Render("n") + " no")
	}
	box := st.Box.Width(min(lipgloss.Width(b.String())+4, w-2)).Render(b.String())
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, box)
}

// hang wraps s to width, indenting the lines after the first by indent.
func hang(s string, width int, indent string) string {
	return strings.ReplaceAll(lipgloss.Wrap(s, max(width, 10), " "), "\n", "\n"+indent)
}
