package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"re6st-tui/diag/system/systemtest"
)

// sysctl reads a sysctl of the fake, "" when unset.
func sysctl(s *systemtest.Fake, key string) string {
	v, _ := s.Sysctl(key)
	return v
}

// fakeRunner answers tool invocations from a table of command lines.
type fakeRunner struct {
	out map[string]string // "nft -j list ruleset" → output; tools absent from every key are not installed
}

func (r fakeRunner) LookPath(name string) error {
	for k := range r.out {
		if strings.Fields(k)[0] == name {
			return nil
		}
	}
	return errors.New("not found")
}

func (r fakeRunner) Output(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := strings.Join(append([]string{name}, args...), " ")
	out, ok := r.out[cmd]
	if !ok {
		return nil, fmt.Errorf("%s: unexpected command", cmd)
	}
	return []byte(out), nil
}
