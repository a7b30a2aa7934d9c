package netlab

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const (
	// nsPrefix starts the name of every namespace a lab creates.
	nsPrefix = "r6l"
	nsDir    = "/run/netns"
	// tempPrefix starts the name of a lab's directory in the temp dir.
	tempPrefix = "re6st-netlab-"
)

// lockDir holds one lock file per live lab; a variable so tests of the sweep
// can point it elsewhere.
var lockDir = "/run/re6st-netlab"

// lock is held for a lab's whole life. Its file name carries the lab's id.
type lock struct {
	f    *os.File
	path string
}

// takeLock creates and locks the lock file of lab id. It is created under a
// temporary name and renamed into place once locked, so a concurrent sweep
// never sees it unlocked.
func takeLock(id string) (*lock, error) {
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", lockDir, err)
	}
	tmp, err := os.CreateTemp(lockDir, ".new-*")
	if err != nil {
		return nil, fmt.Errorf("create lock file: %w", err)
	}
	if err := unix.Flock(int(tmp.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("lock %s: %w", tmp.Name(), err)
	}
	fmt.Fprintf(tmp, "%d\n", os.Getpid())
	path := filepath.Join(lockDir, id+".lock")
	if err := os.Rename(tmp.Name(), path); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("publish lock file: %w", err)
	}
	return &lock{f: tmp, path: path}, nil
}

func (l *lock) release() {
	os.Remove(l.path)
	l.f.Close()
}

// Sweep removes what labs of dead owners left behind: their processes,
// namespaces and lock files. Labs whose owner still runs are not touched.
// It returns the ids of the labs it removed.
func Sweep() ([]string, error) {
	live := map[string]bool{}
	var swept []string
	var errs []error
	entries, err := os.ReadDir(lockDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", lockDir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".new-") {
			sweepTemp(filepath.Join(lockDir, name))
			continue
		}
		id, ok := strings.CutSuffix(name, ".lock")
		if !ok {
			continue
		}
		f, err := os.Open(filepath.Join(lockDir, name))
		if err != nil {
			continue // removed by its owner meanwhile
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
			live[id] = true
			f.Close()
			continue
		}
		// The owner is gone: we hold its lock while we clean.
		if err := removeLabNamespaces(id); err != nil {
			errs = append(errs, err)
		} else {
			swept = append(swept, id)
		}
		os.Remove(f.Name())
		f.Close()
	}
	// Namespaces whose lab has no lock file at all: the owner died after
	// removing the lock but before finishing, or the lock dir was wiped.
	for _, id := range namespaceLabIDs() {
		if live[id] || slices.Contains(swept, id) {
			continue
		}
		if _, err := os.Stat(filepath.Join(lockDir, id+".lock")); err == nil {
			continue // created after we listed the directory
		}
		if err := removeLabNamespaces(id); err != nil {
			errs = append(errs, err)
		} else {
			swept = append(swept, id)
		}
	}
	return swept, errors.Join(errs...)
}

// sweepTemp removes a lock file that was never published, once nobody
// holds it.
func sweepTemp(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
		os.Remove(path)
	}
}

// namespaceLabIDs lists the lab ids that own a namespace right now.
func namespaceLabIDs() []string {
	entries, _ := os.ReadDir(nsDir)
	var ids []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), nsPrefix)
		if !ok {
			continue
		}
		id, _, ok := strings.Cut(rest, "-")
		if ok && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// labNamespaces lists the namespace names of lab id.
func labNamespaces(id string) []string {
	entries, _ := os.ReadDir(nsDir)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), nsPrefix+id+"-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// removeLabNamespaces removes the namespaces of lab id, with its
// processes, and its files.
func removeLabNamespaces(id string) error {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+id+"-*"))
	for _, d := range dirs {
		os.RemoveAll(d)
	}
	var errs []error
	for _, name := range labNamespaces(id) {
		if err := removeNamespace(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeNamespace kills every process inside the named namespace, then
// unmounts and deletes it. A namespace outlives its name while a process is
// inside, so the kill comes first.
func removeNamespace(name string) error {
	path := filepath.Join(nsDir, name)
	if err := killNamespaceProcesses(path); err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return nil
}

// killNamespaceProcesses SIGKILLs every process whose network namespace is
// the one mounted at path, and waits until they are gone.
func killNamespaceProcesses(path string) error {
	var target unix.Stat_t
	if err := unix.Stat(path, &target); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("stat: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids := pidsInNamespace(target)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v survive SIGKILL", pids)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond) // let the kernel finish the kills
	}
}

// pidsInNamespace returns the processes (other than ours) whose network
// namespace has the device and inode of target. Zombies count until reaped
// by their parent; a zombie whose parent is us is reaped by os/exec's Wait.
func pidsInNamespace(target unix.Stat_t) []int {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) != nil {
			continue // exited, or a zombie without namespaces
		}
		if st.Ino == target.Ino && st.Dev == target.Dev {
			pids = append(pids, pid)
		}
	}
	return pids
}
