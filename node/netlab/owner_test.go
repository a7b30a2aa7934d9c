package netlab

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLabsOwnedBy(t *testing.T) {
	old := lockDir
	lockDir = t.TempDir()
	t.Cleanup(func() { lockDir = old })
	for name, pid := range map[string]string{"aa11.lock": "42\n", "bb22.lock": "43\n", ".new-1": "42\n", "cc33.lock": "42\n"} {
		if err := os.WriteFile(filepath.Join(lockDir, name), []byte(pid), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got := LabsOwnedBy(42)
	slices.Sort(got)
	if !slices.Equal(got, []string{"aa11", "cc33"}) {
		t.Fatalf("got %v", got)
	}
	if ns := Namespace("aa11", "h2"); ns != "r6laa11-h2" {
		t.Fatalf("namespace %q", ns)
	}
}
