package enroll

import (
	"os"
	"syscall"
)

// keepOwner gives tmp the owner and group of path, if path exists
// (best effort: only root may change owners).
func keepOwner(path, tmp string) {
	st, err := os.Stat(path)
	if err != nil {
		return
	}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = os.Chown(tmp, int(s.Uid), int(s.Gid))
	}
}
