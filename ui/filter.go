package ui

import (
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// filter is the `/` search line of a panel.
type filter struct {
	input  textinput.Model
	active bool   // the input has the keyboard
	q      string // the text, lower-cased, kept in step with input
}

func newFilter() filter {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "type to filter, enter keeps, esc clears"
	in.SetWidth(40)
	return filter{input: in}
}

func (f *filter) open() tea.Cmd {
	f.active = true
	return f.input.Focus()
}

// key handles a key while the filter is active; it reports whether the
// filter text changed.
func (f *filter) key(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "enter":
		f.active = false
		f.input.Blur()
		return false, nil
	case "esc":
		return f.clear(), nil
	}
	before := f.input.Value()
	in, cmd := f.input.Update(msg)
	f.input = in
	f.q = strings.ToLower(strings.TrimSpace(in.Value()))
	return in.Value() != before, cmd
}

// clear empties and closes the filter, reporting whether it had text.
func (f *filter) clear() bool {
	had := f.input.Value() != ""
	f.input.SetValue("")
	f.q = ""
	f.input.Blur()
	f.active = false
	return had
}

func (f *filter) text() string { return f.q }

// empty reports whether the filter lets everything through; callers
// check it before formatting fields for match, which is the costly part.
func (f *filter) empty() bool { return f.q == "" }

// match reports whether any of the fields contains the filter text.
func (f *filter) match(fields ...string) bool {
	if f.q == "" {
		return true
	}
	for _, s := range fields {
		if strings.Contains(strings.ToLower(s), f.q) {
			return true
		}
	}
	return false
}

// matchText reports whether text, lower-cased already, contains the
// filter text.
func (f *filter) matchText(text string) bool { return strings.Contains(text, f.q) }

// line is the filter's line above a table, or "" when there is none.
func (f *filter) line(m *Model) string {
	switch {
	case f.active:
		return f.input.View()
	case f.input.Value() != "":
		return m.styles.Dim.Render("filter: " + f.input.Value() + "  (/ edit, esc clear)")
	}
	return ""
}
