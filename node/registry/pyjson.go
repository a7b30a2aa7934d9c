package registry

import (
	"sort"
	"strconv"
	"unicode/utf16"
)

// pyJSON writes JSON exactly as Python's json.dumps does with its default
// settings: ", " and ": " separators, non-ASCII escaped as \uXXXX
// (lowercase hex, surrogate pairs). The canonical network-config string is
// compared with the one the Python registry stored, so bytes matter.
type pyJSON struct{ b []byte }

// kv is one member of a JSON object, kept in insertion order.
type kv struct {
	k string
	v any
}

func (j *pyJSON) value(v any) {
	switch x := v.(type) {
	case nil:
		j.b = append(j.b, "null"...)
	case bool:
		j.b = strconv.AppendBool(j.b, x)
	case int:
		j.b = strconv.AppendInt(j.b, int64(x), 10)
	case int64:
		j.b = strconv.AppendInt(j.b, x, 10)
	case float64:
		j.float(x)
	case string:
		j.str(x)
	case []int64:
		j.b = append(j.b, '[')
		for i, e := range x {
			if i > 0 {
				j.b = append(j.b, ", "...)
			}
			j.b = strconv.AppendInt(j.b, e, 10)
		}
		j.b = append(j.b, ']')
	case []string:
		j.b = append(j.b, '[')
		for i, e := range x {
			if i > 0 {
				j.b = append(j.b, ", "...)
			}
			j.str(e)
		}
		j.b = append(j.b, ']')
	case []kv:
		j.b = append(j.b, '{')
		for i, e := range x {
			if i > 0 {
				j.b = append(j.b, ", "...)
			}
			j.str(e.k)
			j.b = append(j.b, ": "...)
			j.value(e.v)
		}
		j.b = append(j.b, '}')
	default:
		panic("pyJSON: unsupported type")
	}
}

// float prints like Python's repr: shortest round-trip digits, always
// with a fraction or exponent.
func (j *pyJSON) float(f float64) {
	var s string
	if f != 0 && (f >= 1e16 || f <= -1e16 || (f < 1e-4 && f > -1e-4)) {
		s = strconv.FormatFloat(f, 'e', -1, 64)
	} else {
		s = strconv.FormatFloat(f, 'f', -1, 64)
		if !containsAny(s, ".eE") {
			s += ".0"
		}
	}
	j.b = append(j.b, s...)
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for k := 0; k < len(chars); k++ {
			if s[i] == chars[k] {
				return true
			}
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

func (j *pyJSON) str(s string) {
	j.b = append(j.b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			j.b = append(j.b, `\"`...)
		case r == '\\':
			j.b = append(j.b, `\\`...)
		case r == '\n':
			j.b = append(j.b, `\n`...)
		case r == '\r':
			j.b = append(j.b, `\r`...)
		case r == '\t':
			j.b = append(j.b, `\t`...)
		case r == '\b':
			j.b = append(j.b, `\b`...)
		case r == '\f':
			j.b = append(j.b, `\f`...)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				a, b := utf16.EncodeRune(r)
				j.u16(a)
				j.u16(b)
			} else {
				j.u16(r)
			}
		default:
			j.b = append(j.b, byte(r))
		}
	}
	j.b = append(j.b, '"')
}

func (j *pyJSON) u16(r rune) {
	j.b = append(j.b, '\\', 'u', hexDigits[r>>12&15], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
}

// dumps returns the Python json.dumps text of v.
func dumps(v any) []byte {
	var j pyJSON
	j.value(v)
	return j.b
}

// dumpsSorted is json.dumps(obj, sort_keys=True) for a flat object.
func dumpsSorted(obj []kv) []byte {
	s := append([]kv(nil), obj...)
	sort.Slice(s, func(a, b int) bool { return s[a].k < s[b].k })
	return dumps(s)
}
