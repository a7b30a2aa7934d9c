package registry

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ParseQuery parses a query string as Python's parse_qsl does with
// strict_parsing and keep_blank_values: every '&'-separated field must
// contain '=', '+' is a space, invalid %-escapes are kept literally, and
// the last duplicate wins.
func ParseQuery(q string) (map[string]string, error) {
	out := map[string]string{}
	if q == "" {
		return out, nil
	}
	for _, field := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("bad query field %q: expected name=value", field)
		}
		out[unquotePlus(k)] = unquotePlus(v)
	}
	return out, nil
}

// unquotePlus decodes like urllib.parse.unquote_plus: lenient about bad
// escapes (kept as is), invalid UTF-8 replaced.
func unquotePlus(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	if !strings.Contains(s, "%") {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// splitTarget splits a request-target "/<method>?<query>" and checks that
// the path has exactly one '/', at its start.
func splitTarget(target string) (method, query string, err error) {
	path, query, _ := strings.Cut(target, "?")
	if !strings.HasPrefix(path, "/") || strings.Count(path, "/") != 1 {
		return "", "", errors.New("request path must be /<method>: serve the registry at the root of its URL")
	}
	return path[1:], query, nil
}

// EncodeQuery encodes parameters in the given order like Python's
// urlencode (quote_plus: space → '+', '/' → %2F).
func EncodeQuery(names []string, args map[string]string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(n))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(args[n]))
	}
	return b.String()
}
