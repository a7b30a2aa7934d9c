package ui

import "slices"

// rowSet is a big table's rows, kept sorted as they change one at a time,
// with the ones a filter lets through: a change costs a bisection and a
// move of pointers, not a sort or a match of the whole table. Rows are
// copies (the state's slices move under them) held by pointer, so that
// the shown rows and all of them share each row.
type rowSet[T any] struct {
	all, shown []*T
	filtered   bool // shown holds what the filter lets through; else all show
	compare    func(a, b *T) int
}

// rows returns the rows shown, in order.
func (s *rowSet[T]) rows() []*T {
	if s.filtered {
		return s.shown
	}
	return s.all
}

func (s *rowSet[T]) find(rows []*T, r *T) (int, bool) {
	return slices.BinarySearchFunc(rows, r, s.compare)
}

// reset takes every row anew, n of them, from at.
func (s *rowSet[T]) reset(n int, at func(i int) *T) {
	s.all = s.all[:0]
	for i := range n {
		s.all = append(s.all, at(i))
	}
	slices.SortFunc(s.all, s.compare)
}

// refilter chooses the rows shown again: those keep accepts, or all of
// them when keep is nil. The cursor stays on the row it was on when that
// row is still shown.
func (s *rowSet[T]) refilter(keep func(*T) bool, l *list, height int) {
	var sel *T
	if rows := s.rows(); l.cursor < len(rows) {
		sel = rows[l.cursor]
	}
	s.filtered = keep != nil
	s.shown = s.shown[:0]
	if s.filtered {
		for _, r := range s.all {
			if keep(r) {
				s.shown = append(s.shown, r)
			}
		}
	}
	rows := s.rows()
	if sel != nil {
		if i, ok := s.find(rows, sel); ok {
			l.cursor = i
		}
	}
	l.fit(len(rows), height)
}

// change adds or replaces r, or with removed deletes the row with r's
// key. It returns the row that went in and the one that went out (nil
// when none), and keeps the cursor and the view of l on the rows they
// were on.
func (s *rowSet[T]) change(r *T, removed bool, keep func(*T) bool, l *list, height int) (in, out *T) {
	i, found := s.find(s.all, r)
	switch {
	case removed && !found:
		return nil, nil
	case removed:
		out = s.all[i]
		s.all = slices.Delete(s.all, i, i+1)
	case found:
		in, out = r, s.all[i]
		s.all[i] = r
	default:
		in = r
		s.all = slices.Insert(s.all, i, r)
	}
	if !s.filtered {
		switch {
		case out == nil:
			l.inserted(i, len(s.all), height)
		case in == nil:
			l.removed(i, len(s.all), height)
		}
		return in, out
	}
	if out != nil {
		if j, ok := s.find(s.shown, out); ok {
			if in != nil && keep(in) {
				s.shown[j] = in
				return in, out
			}
			s.shown = slices.Delete(s.shown, j, j+1)
			l.removed(j, len(s.shown), height)
		}
	}
	if in != nil && keep(in) {
		j, _ := s.find(s.shown, in)
		s.shown = slices.Insert(s.shown, j, in)
		l.inserted(j, len(s.shown), height)
	}
	return in, out
}
