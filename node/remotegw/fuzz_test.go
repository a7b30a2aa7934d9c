package remotegw

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecover reads journals as a crash, a full disk or a person may
// leave them: never a panic, and never a route the journal did not name.
func FuzzRecover(f *testing.F) {
	f.Add([]byte(`[{"dst":"198.51.100.1","via":"198.18.0.12"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"dst":"","via":"2001:db8::1"}]`))
	f.Add([]byte(`{"dst":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		journal := filepath.Join(t.TempDir(), "remotegw.json")
		if err := os.WriteFile(journal, b, 0o644); err != nil {
			t.Fatal(err)
		}
		k := newFake()
		Recover(k, journal)
		if len(k.routes) != 0 {
			t.Fatalf("recovery added routes: %v", k.routes)
		}
	})
}
