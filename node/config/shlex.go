package config

import (
	"errors"
	"strings"
)

// splitWords splits a line into words like a POSIX shell would, without
// expansions or comments: quotes group, backslashes escape.
func splitWords(line string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		case c == '\\':
			if i+1 == len(line) {
				return nil, errors.New("a backslash ends the line: escape it as \\\\")
			}
			i++
			word.WriteByte(line[i])
			inWord = true
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("no closing single quote")
			}
			word.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				// In double quotes a backslash escapes only these.
				if line[j] == '\\' && j+1 < len(line) && strings.IndexByte("\\\"$`\n", line[j+1]) >= 0 {
					j++
				}
				word.WriteByte(line[j])
			}
			if j == len(line) {
				return nil, errors.New("no closing double quote")
			}
			i = j
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}
