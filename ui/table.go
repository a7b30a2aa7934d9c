package ui

import (
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// column is one column of a table. Columns are dropped, lowest priority
// (highest number) first, until the rest fit the width.
type column struct {
	title string
	width int // the least it takes, for a fill column
	right bool
	prio  int
	fill  bool // takes the width the other columns leave
}

// rowStyle picks how a whole row looks.
type rowStyle int

const (
	rowPlain rowStyle = iota
	rowWarn
	rowBad
	rowDefault
	rowMuted
)

// list is a cursor over n rows with a scroll offset, shared by every
// table so they all scroll alike.
type list struct {
	cursor, offset int
}

// move moves the cursor by delta within n rows, showing height rows.
func (l *list) move(delta, n, height int) {
	l.cursor = clamp(l.cursor+delta, 0, n-1)
	l.fit(n, height)
}

// fit keeps the cursor within n rows and on screen.
func (l *list) fit(n, height int) {
	l.cursor = clamp(l.cursor, 0, n-1)
	height = max(height, 1)
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+height {
		l.offset = l.cursor - height + 1
	}
	l.offset = clamp(l.offset, 0, max(n-height, 0))
}

// inserted keeps the cursor and the view on the rows they showed after a
// row went in at index i; n is the new number of rows.
func (l *list) inserted(i, n, height int) {
	if n > 1 && i <= l.cursor {
		l.cursor++
	}
	if i < l.offset {
		l.offset++
	}
	l.fit(n, height)
}

// removed does the same after the row at index i went away.
func (l *list) removed(i, n, height int) {
	if i < l.cursor {
		l.cursor--
	}
	if i < l.offset {
		l.offset--
	}
	l.fit(n, height)
}

func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// table renders the visible window of a list of rows. It asks for the
// cells of visible rows only, so ten thousand rows cost what twenty do.
type table struct {
	cols   []column
	n      int
	cell   func(row, col int) string
	style  func(row int) rowStyle
	cursor bool // draw the cursor row
	// mark, if set, gives a row a one-cell mark in the margin, beside
	// the cursor ("!" for a route in conflict).
	mark func(row int) string
}

// fitColumns returns the indexes of the columns that fit in width, in
// display order.
func fitColumns(cols []column, width int) []int {
	used := 2 // the cursor gutter
	keep := make([]bool, len(cols))
	for prio := 0; prio < 10; prio++ {
		for i, c := range cols {
			if c.prio == prio && used+c.width+1 <= width {
				keep[i] = true
				used += c.width + 1
			}
		}
	}
	var idx []int
	for i, k := range keep {
		if k {
			idx = append(idx, i)
		}
	}
	return idx
}

// fillColumns gives the width the shown columns idx leave to the first
// fill column among them.
func fillColumns(cols []column, idx []int, width int) []column {
	used := 2
	fill := -1
	for _, i := range idx {
		used += cols[i].width + 1
		if cols[i].fill && fill < 0 {
			fill = i
		}
	}
	if fill < 0 || used >= width {
		return cols
	}
	out := slices.Clone(cols)
	out[fill].width += width - used
	return out
}

// view renders a header line and height-1 rows starting at l.offset.
func (t table) view(l list, width, height int, st *Styles) string {
	idx := fitColumns(t.cols, width)
	t.cols = fillColumns(t.cols, idx, width)
	var b strings.Builder
	b.Grow(width * height * 2)
	var line strings.Builder
	line.WriteString("  ")
	for _, i := range idx {
		writeCell(&line, t.cols[i].title, t.cols[i].width, t.cols[i].right)
		line.WriteByte(' ')
	}
	b.WriteString(st.Header.Render(strings.TrimRight(line.String(), " ")))
	rows := height - 1
	for r := l.offset; r < t.n && r < l.offset+rows; r++ {
		line.Reset()
		selected := t.cursor && r == l.cursor
		if selected {
			line.WriteString("▸")
		} else {
			line.WriteString(" ")
		}
		mark := ""
		if t.mark != nil {
			mark = t.mark(r)
		}
		writeCell(&line, mark, 1, false)
		for _, i := range idx {
			writeCell(&line, t.cell(r, i), t.cols[i].width, t.cols[i].right)
			line.WriteByte(' ')
		}
		text := strings.TrimRight(line.String(), " ")
		b.WriteByte('\n')
		b.WriteString(t.rowRender(r, selected, st)(text))
	}
	return b.String()
}

func (t table) rowRender(r int, selected bool, st *Styles) func(...string) string {
	if selected {
		return st.Selected.Render
	}
	var rs rowStyle
	if t.style != nil {
		rs = t.style(r)
	}
	switch rs {
	case rowWarn:
		return st.RowWarn.Render
	case rowBad:
		return st.RowBad.Render
	case rowDefault:
		return st.RowDefault.Render
	case rowMuted:
		return st.RowMuted.Render
	}
	return fmtPlain
}

func fmtPlain(s ...string) string { return strings.Join(s, "") }

// pad truncates or pads s to exactly w cells.
func pad(s string, w int, right bool) string {
	var b strings.Builder
	writeCell(&b, s, w, right)
	return b.String()
}

// writeCell writes s truncated or padded to exactly w cells. Cells are
// mostly ASCII, whose width is their length: that spares measuring
// graphemes for every cell of every frame.
func writeCell(b *strings.Builder, s string, w int, right bool) {
	sw := asciiWidth(s)
	if sw < 0 {
		sw = lipgloss.Width(s)
	}
	if sw > w {
		b.WriteString(ansi.Truncate(s, w, "…"))
		return
	}
	if !right {
		b.WriteString(s)
	}
	for range w - sw {
		b.WriteByte(' ')
	}
	if right {
		b.WriteString(s)
	}
}

// asciiWidth is len(s) for printable ASCII, or -1.
func asciiWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return -1
		}
	}
	return len(s)
}
