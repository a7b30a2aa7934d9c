package ui

import "charm.land/lipgloss/v2"

// Styles are the few looks the dashboard uses. Colours are the 16 basic
// ANSI ones, so a 16-colour terminal shows them as meant; the renderer
// drops them under NO_COLOR, and every state is also spelled out in text
// so nothing depends on colour alone.
type Styles struct {
	Title, Dim, Bold     lipgloss.Style
	OK, Warn, Bad        lipgloss.Style
	TabActive, Tab       lipgloss.Style
	Header, Selected     lipgloss.Style
	Banner, BannerOK     lipgloss.Style
	Box, Error, Key      lipgloss.Style
	RowWarn, RowBad      lipgloss.Style
	RowDefault, RowMuted lipgloss.Style
}

// colorAccent fills progress bars.
var colorAccent = lipgloss.Cyan

// DefaultStyles returns the dashboard's styles.
func DefaultStyles() Styles {
	s := lipgloss.NewStyle()
	return Styles{
		Title:      s.Bold(true).Foreground(lipgloss.BrightCyan),
		Dim:        s.Foreground(lipgloss.BrightBlack),
		Bold:       s.Bold(true),
		OK:         s.Foreground(lipgloss.Green).Bold(true),
		Warn:       s.Foreground(lipgloss.Yellow).Bold(true),
		Bad:        s.Foreground(lipgloss.Red).Bold(true),
		TabActive:  s.Bold(true).Reverse(true),
		Tab:        s.Foreground(lipgloss.BrightBlack),
		Header:     s.Bold(true).Underline(true),
		Selected:   s.Reverse(true),
		Banner:     s.Foreground(lipgloss.Black).Background(lipgloss.Yellow),
		BannerOK:   s.Foreground(lipgloss.Green),
		Box:        s.Border(lipgloss.RoundedBorder()).Padding(0, 1),
		Error:      s.Foreground(lipgloss.Red),
		Key:        s.Bold(true),
		RowWarn:    s.Foreground(lipgloss.Yellow),
		RowBad:     s.Foreground(lipgloss.Red),
		RowDefault: s.Foreground(lipgloss.Cyan),
		RowMuted:   s.Foreground(lipgloss.BrightBlack),
	}
}
