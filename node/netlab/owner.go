package netlab

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LabsOwnedBy returns the ids of the live labs that process pid built, as
// their lock files record it: how a test finds the namespaces of a lab
// that another process (a demo it started) owns.
func LabsOwnedBy(pid int) []string {
	entries, _ := os.ReadDir(lockDir)
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".lock")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(lockDir, e.Name()))
		if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid) {
			ids = append(ids, id)
		}
	}
	return ids
}

// Namespace is the name of host's network namespace in lab id, as under
// /run/netns.
func Namespace(id, host string) string { return nsPrefix + id + "-" + host }
