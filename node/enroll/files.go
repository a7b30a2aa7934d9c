package enroll

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File names written in the enrollment directory.
const (
	CAFile   = "ca.crt"
	CertFile = "cert.crt"
	KeyFile  = "cert.key"
	ConfFile = "re6stnet.conf"
)

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers never see a partial file. The owner
// and group of an existing file are kept when possible.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	keepOwner(path, tmp)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ErrDirNotWritable means files cannot be written where asked.
var ErrDirNotWritable = errors.New("certificate directory is not writable")

// checkWritable proves that dir accepts new files, by creating and
// removing one.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".re6st-write-test.*")
	if err != nil {
		return fmt.Errorf("%w: %v (choose another directory with -d, or fix its permissions)", ErrDirNotWritable, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}
