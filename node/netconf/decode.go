package netconf

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxConfigSize bounds the decompressed configuration: a real one is a few
// kilobytes, so anything larger is an attack or a bug.
const maxConfigSize = 1 << 20

// Decode turns a getNetworkConfig answer into cache rows: name → int64,
// float64, string or []byte; lists and objects as Python-style JSON text
// under "<name>:json". decrypt opens the Babel keys encrypted for this
// node. delay_restart is not a row: it is returned apart (0 if absent).
func Decode(body []byte, decrypt func([]byte) ([]byte, error)) (rows map[string]any, delayRestart int64, err error) {
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("network config: not zlib data: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxConfigSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("network config: %w", err)
	}
	if len(raw) > maxConfigSize {
		return nil, 0, fmt.Errorf("network config larger than %d bytes", maxConfigSize)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, 0, fmt.Errorf("network config: bad JSON: %w", err)
	}
	base64Keys := map[string]bool{}
	if list, ok := doc[""].([]any); ok {
		for _, k := range list {
			if s, ok := k.(string); ok {
				base64Keys[s] = true
			}
		}
	}
	delete(doc, "")
	rows = map[string]any{}
	for k, v := range doc {
		if k == "delay_restart" {
			n, ok := v.(json.Number)
			if !ok {
				return nil, 0, fmt.Errorf("network config: delay_restart %v is not a number", v)
			}
			if delayRestart, err = n.Int64(); err != nil {
				return nil, 0, fmt.Errorf("network config: delay_restart: %w", err)
			}
			continue
		}
		row, value, err := decodeValue(k, v, base64Keys[k], decrypt)
		if err != nil {
			return nil, 0, fmt.Errorf("network config: %s: %w", k, err)
		}
		rows[row] = value
	}
	return rows, delayRestart, nil
}

func decodeValue(k string, v any, isBase64 bool, decrypt func([]byte) ([]byte, error)) (string, any, error) {
	if strings.HasPrefix(k, "babel_hmac") {
		s, ok := v.(string)
		if !ok {
			return "", nil, fmt.Errorf("want a base64 string")
		}
		if s == "" {
			return k, []byte{}, nil // accept anything: sign but don't check
		}
		c, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", nil, err
		}
		key, err := decrypt(c)
		if err != nil {
			return "", nil, fmt.Errorf("decrypt: %w", err)
		}
		return k, key, nil
	}
	switch x := v.(type) {
	case string:
		if isBase64 {
			b, err := base64.StdEncoding.DecodeString(x)
			return k, b, err
		}
		return k, x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return k, i, nil
		}
		f, err := x.Float64()
		return k, f, err
	case bool:
		if x {
			return k, int64(1), nil
		}
		return k, int64(0), nil
	case nil:
		return k, nil, nil
	case []any, map[string]any:
		text, err := pythonJSON(x)
		return k + ":json", text, err
	}
	return "", nil, fmt.Errorf("unexpected value %T", v)
}

// pythonJSON writes JSON the way Python's json.dumps does by default
// (", " and ": " separators), so rows compare equal with a cache.db that a
// Python node wrote.
func pythonJSON(v any) (string, error) {
	var b strings.Builder
	if err := writePython(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writePython(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := writePython(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		first := true
		for _, k := range sortedKeys(x) {
			if !first {
				b.WriteString(", ")
			}
			first = false
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteString(": ")
			if err := writePython(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		e, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(e)
	}
	return nil
}
