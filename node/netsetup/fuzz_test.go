package netsetup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecover: the journal is read back from disk after a crash. Whatever
// it holds, recovery must not panic, and it must not be left behind to be
// replayed at every start.
func FuzzRecover(f *testing.F) {
	f.Add([]byte(`[{"kind":"sysctl","key":"net.ipv6.conf.all.forwarding","old":"0"},{"kind":"addr","iface":"lo","addr":"2001:db8:42::1/48"}]`))
	f.Add([]byte(`[{"kind":"unreachable","addr":"2001:db8:42::/48"},{"kind":"route-removed","iface":"lo"}]`))
	f.Add([]byte(`[{"kind":"addr","iface":"lo","addr":"not a prefix"}]`))
	f.Add([]byte(`{"kind":"sysctl"}`))
	f.Add([]byte(`[{"kind":"bogus"}]`))
	f.Add([]byte{0xff, '[', 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		journal := filepath.Join(t.TempDir(), "netsetup.json")
		if err := os.WriteFile(journal, b, 0o600); err != nil {
			t.Fatal(err)
		}
		Recover(newFake(), journal)
		if _, err := os.Stat(journal); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("journal still there after recovery (%v)", err)
		}
	})
}
