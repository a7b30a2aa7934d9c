package babel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/google/renameio/v2"

	"re6st-tui/routing/babel/wire"
)

// savedState is what the state file keeps across clean restarts.
type savedState struct {
	RouterID    wire.RouterID
	HasRouterID bool
	Seqno       uint16
}

// parseState reads a state file: "router-id ID" and "seqno N" lines, or
// babeld's own format, a lone seqno.
func parseState(b []byte) (savedState, error) {
	var st savedState
	seqno := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		var err error
		switch {
		case len(f) == 0 || strings.HasPrefix(f[0], "#"):
			continue
		case len(f) == 1 && line == 1:
			st.Seqno, err = parseSeqno(f[0]) // babeld's -S file
			seqno = true
		case len(f) == 2 && f[0] == "router-id":
			st.RouterID, err = wire.ParseRouterID(f[1])
			st.HasRouterID = err == nil
		case len(f) == 2 && f[0] == "seqno":
			st.Seqno, err = parseSeqno(f[1])
			seqno = true
		default:
			err = fmt.Errorf("unknown line %q: want 'router-id ID' or 'seqno N'", sc.Text())
		}
		if err != nil {
			return st, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	if !seqno {
		return st, errors.New("no seqno")
	}
	return st, nil
}

func parseSeqno(s string) (uint16, error) {
	v, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("seqno %q: want 0 to 65535", s)
	}
	return uint16(v), nil
}

// takeState reads the state file and removes it, as babeld does: after a
// crash there is no file, and the seqno that may have moved on since the
// last clean stop is never reused. A missing file is not an error; a
// file that cannot be removed is not used (it would be stale next time).
func takeState(path string) (savedState, bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return savedState{}, false, nil
	}
	if err != nil {
		return savedState{}, false, fmt.Errorf("read babel state: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return savedState{}, false, fmt.Errorf("remove babel state (not used, it would be stale): %w", err)
	}
	st, err := parseState(b)
	if err != nil {
		return savedState{}, false, fmt.Errorf("babel state %s: %w", path, err)
	}
	return st, true, nil
}

// saveState writes the state file: a temporary file, synced, then renamed.
func saveState(path string, st savedState) error {
	data := fmt.Appendf(nil, "router-id %v\nseqno %d\n", st.RouterID, st.Seqno)
	if err := renameio.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("save babel state: %w", err)
	}
	return nil
}
