package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// reachableByAll reports whether every directory on the way to path can
// be searched, and the file itself executed, by any user.
func reachableByAll(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o001 == 0 {
		return false
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		di, err := os.Stat(dir)
		if err != nil || di.Mode().Perm()&0o001 == 0 {
			return false
		}
		if dir == "/" || dir == "." {
			return true
		}
	}
}

// executableByAll returns a path of exe that an unprivileged user can
// execute. A root server's children become nobody before they exec, and
// `go run` builds into a directory only root may enter, so there the
// binary is copied to a directory of its own that anyone may search.
// The returned function removes the copy.
func executableByAll(exe string) (string, func(), error) {
	if os.Getuid() != 0 || reachableByAll(exe) {
		return exe, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "interleave-child-")
	if err != nil {
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.Chmod(dir, 0o755); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	src, err := os.Open(exe)
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	defer src.Close()
	path := filepath.Join(dir, "interleave")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		cleanup()
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	if err := dst.Close(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("copy child executable: %w", err)
	}
	return path, cleanup, nil
}
