package config

import (
	"fmt"
	"os"
	"strings"
)

// Source says where an argument comes from: a line of an option file, or
// the command line when File is empty.
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.File == "" {
		return "command line"
	}
	return fmt.Sprintf("%s:%d", s.File, s.Line)
}

// Arg is one command-line word and where it came from.
type Arg struct {
	Text string
	Src  Source
}

// maxDepth bounds nested @file inclusions, which would otherwise loop
// forever on a file that includes itself.
const maxDepth = 16

// expand replaces every "@path" argument with the options of that file.
// isLong reports whether "--name" is a known long option: a file line's
// first word gets "--" when it is, "-" otherwise, so "O--verb" reads as
// the short option -O with the value "--verb".
func expand(args []string, isLong func(string) bool, readFile func(string) ([]byte, error)) ([]Arg, error) {
	out := make([]Arg, 0, len(args))
	for _, a := range args {
		if path, ok := strings.CutPrefix(a, "@"); ok {
			more, err := expandFile(path, isLong, readFile, 1)
			if err != nil {
				return nil, err
			}
			out = append(out, more...)
			continue
		}
		out = append(out, Arg{Text: a})
	}
	return out, nil
}

func expandFile(path string, isLong func(string) bool, readFile func(string) ([]byte, error), depth int) ([]Arg, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%s: option files nested more than %d deep: does a file include itself?", path, maxDepth)
	}
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("read option file: %w", err)
	}
	var out []Arg
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		src := Source{File: path, Line: i + 1}
		before, _, _ := strings.Cut(line, "#")
		if strings.TrimSpace(before) == "" {
			continue // blank or comment line
		}
		if inc, ok := strings.CutPrefix(line, "@"); ok {
			more, err := expandFile(inc, isLong, readFile, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", src, err)
			}
			out = append(out, more...)
			continue
		}
		words, err := splitWords(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		if len(words) == 0 {
			continue
		}
		name := "--" + words[0]
		if !isLong(name) {
			name = "-" + words[0]
		}
		out = append(out, Arg{Text: name, Src: src})
		for _, w := range words[1:] {
			out = append(out, Arg{Text: w, Src: src})
		}
	}
	return out, nil
}

func readOSFile(path string) ([]byte, error) { return os.ReadFile(path) }
