package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"
)

// Fixes applied from the dashboard are reverted when the node stops,
// before its tunnels go, since what they change follows the tunnels. A
// restart for a new network configuration is not the person's doing, so
// the node writes down the fixes it reverted and applies them again after
// the restart, once their checks offer them: re6stnet re-executes itself,
// so the list goes through a file in the state directory.
const (
	reapplyFile = "fixes-to-reapply.json"
	// reapplyWindow bounds both how old the file may be (a node that
	// died instead of restarting leaves it behind) and how long the new
	// run waits for the checks to offer the fixes again.
	reapplyWindow = 10 * time.Minute
)

// reapplyList is the file's content.
type reapplyList struct {
	Fixes []string  `json:"fixes"`
	Saved time.Time `json:"saved"`
}

// saveReapply writes the fixes to apply again after the restart.
func saveReapply(dir string, ids []string, now time.Time) error {
	b, err := json.Marshal(reapplyList{Fixes: ids, Saved: now})
	if err != nil {
		return err
	}
	if err := renameio.WriteFile(filepath.Join(dir, reapplyFile), b, 0o600); err != nil {
		return fmt.Errorf("save the fixes to apply after the restart: %w", err)
	}
	return nil
}

// takeReapply reads and removes the list a restart left; none when there
// is no file, or it is older than reapplyWindow.
func takeReapply(dir string, now time.Time) ([]string, error) {
	path := filepath.Join(dir, reapplyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the fixes to apply after the restart: %w", err)
	}
	os.Remove(path)
	l, err := parseReapply(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; the fixes applied before the restart are not applied again", path, err)
	}
	if age := now.Sub(l.Saved); age < 0 || age > reapplyWindow {
		return nil, nil // not from a restart just now
	}
	return l.Fixes, nil
}

func parseReapply(b []byte) (reapplyList, error) {
	var l reapplyList
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("not a list of fixes: %w", err)
	}
	for _, id := range l.Fixes {
		if id == "" || len(id) > 200 {
			return reapplyList{}, fmt.Errorf("bad fix id %q", id)
		}
	}
	return l, nil
}
