package config

import (
	"fmt"
	"slices"
	"strings"
)

// Option describes one option of a command.
type Option struct {
	Long  string // without dashes: "registry"
	Short byte   // 'l' for -l, or 0
	// Args is how many values follow the option: 0 for a flag.
	Args int
	// Repeat lets the option appear more than once; otherwise the last
	// occurrence wins, as with argparse.
	Repeat bool
	// Choices, when set, lists the values allowed.
	Choices []string
}

// Occurrence is one appearance of an option on the command line or in a
// file, with its values.
type Occurrence struct {
	Values []string
	Src    Source
}

// Set is the result of parsing: every occurrence of each option, by long
// name, and the positional arguments.
type Set struct {
	Options    map[string][]Occurrence
	Positional []Arg
}

// Error is a parse error that names where the bad argument came from.
type Error struct {
	Src Source
	Msg string
}

func (e *Error) Error() string { return e.Src.String() + ": " + e.Msg }

// Parser parses the arguments of one command.
type Parser struct {
	options []Option
	// ReadFile reads option files; tests replace it.
	ReadFile func(string) ([]byte, error)
}

// NewParser returns a parser for these options.
func NewParser(options []Option) *Parser {
	return &Parser{options: options, ReadFile: readOSFile}
}

func (p *Parser) isLong(arg string) bool {
	name, ok := strings.CutPrefix(arg, "--")
	return ok && p.byLong(name) != nil
}

func (p *Parser) byLong(name string) *Option {
	for i := range p.options {
		if p.options[i].Long == name {
			return &p.options[i]
		}
	}
	return nil
}

func (p *Parser) byShort(c byte) *Option {
	for i := range p.options {
		if p.options[i].Short == c && c != 0 {
			return &p.options[i]
		}
	}
	return nil
}

// byPrefix finds a long option by its name or an unambiguous abbreviation,
// as argparse accepts on the command line.
func (p *Parser) byPrefix(name string) (*Option, error) {
	if o := p.byLong(name); o != nil {
		return o, nil
	}
	var found []*Option
	for i := range p.options {
		if strings.HasPrefix(p.options[i].Long, name) {
			found = append(found, &p.options[i])
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("unknown option --%s", name)
	case 1:
		return found[0], nil
	}
	var names []string
	for _, o := range found {
		names = append(names, "--"+o.Long)
	}
	return nil, fmt.Errorf("ambiguous option --%s: could be %s", name, strings.Join(names, ", "))
}

// Parse expands @files and parses the arguments.
func (p *Parser) Parse(args []string) (*Set, error) {
	expanded, err := expand(args, p.isLong, p.ReadFile)
	if err != nil {
		return nil, err
	}
	set := &Set{Options: map[string][]Occurrence{}}
	for i := 0; i < len(expanded); i++ {
		a := expanded[i]
		var (
			opt      *Option
			attached *string
			err      error
		)
		switch {
		case a.Text == "--":
			set.Positional = append(set.Positional, expanded[i+1:]...)
			i = len(expanded)
			continue
		case strings.HasPrefix(a.Text, "--"):
			name, value, hasValue := strings.Cut(a.Text[2:], "=")
			if opt, err = p.byPrefix(name); err != nil {
				return nil, &Error{a.Src, err.Error()}
			}
			if hasValue {
				attached = &value
			}
		case len(a.Text) > 1 && a.Text[0] == '-':
			if opt, attached, err = p.short(a.Text[1:], set, a.Src); err != nil {
				return nil, &Error{a.Src, err.Error()}
			}
			if opt == nil {
				continue // a cluster of flags, already recorded
			}
		default:
			set.Positional = append(set.Positional, a)
			continue
		}
		occ := Occurrence{Src: a.Src}
		switch {
		case opt.Args == 0 && attached != nil:
			return nil, &Error{a.Src, fmt.Sprintf("--%s takes no value", opt.Long)}
		case attached != nil:
			occ.Values = append(occ.Values, *attached)
		}
		for len(occ.Values) < opt.Args {
			i++
			if i == len(expanded) {
				return nil, &Error{a.Src, fmt.Sprintf("--%s needs %d value(s)", opt.Long, opt.Args)}
			}
			occ.Values = append(occ.Values, expanded[i].Text)
		}
		if err := p.record(set, opt, occ); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// short parses "-x", "-xVALUE" and clusters of flags like "-mv3". It
// returns the option that still takes the next argument(s) as value, or nil
// when the whole cluster was handled.
func (p *Parser) short(s string, set *Set, src Source) (*Option, *string, error) {
	for j := 0; j < len(s); j++ {
		opt := p.byShort(s[j])
		if opt == nil && j == 0 && src.File != "" {
			return nil, nil, fmt.Errorf("unknown option %q", s)
		}
		if opt == nil {
			return nil, nil, fmt.Errorf("unknown option -%c", s[j])
		}
		if opt.Args == 0 {
			if err := p.record(set, opt, Occurrence{Src: src}); err != nil {
				return nil, nil, err
			}
			continue
		}
		if rest := s[j+1:]; rest != "" {
			return opt, &rest, nil
		}
		return opt, nil, nil
	}
	return nil, nil, nil
}

func (p *Parser) record(set *Set, opt *Option, occ Occurrence) error {
	for _, v := range occ.Values {
		if len(opt.Choices) > 0 && !slices.Contains(opt.Choices, v) {
			return &Error{occ.Src, fmt.Sprintf("--%s: %q is not one of %s", opt.Long, v, strings.Join(opt.Choices, ", "))}
		}
	}
	if opt.Repeat {
		set.Options[opt.Long] = append(set.Options[opt.Long], occ)
	} else {
		set.Options[opt.Long] = []Occurrence{occ}
	}
	return nil
}

// Last returns the values of the last occurrence of an option.
func (s *Set) Last(name string) (Occurrence, bool) {
	occ := s.Options[name]
	if len(occ) == 0 {
		return Occurrence{}, false
	}
	return occ[len(occ)-1], true
}

// Has reports whether the option was given.
func (s *Set) Has(name string) bool { return len(s.Options[name]) > 0 }
