// Package sandboxtest builds the real interleave binary for tests that
// need a sandbox child. A test binary cannot be the child itself: built
// with -race it maps huge shadow memory and makes syscalls a child must not.
package sandboxtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once   sync.Once
	path   string
	errOut []byte
	err    error
)

// Binary returns the path of a freshly built interleave binary (static,
// without the race detector), building it once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		dir, derr := os.MkdirTemp("", "interleave-test-")
		if derr != nil {
			err = derr
			return
		}
		// Readable by all, so tests can run it as an unprivileged user.
		if err = os.Chmod(dir, 0o755); err != nil {
			return
		}
		path = filepath.Join(dir, "interleave")
		cmd := exec.Command("go", "build", "-o", path, "interleave")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		errOut, err = cmd.CombinedOutput()
	})
	if err != nil {
		t.Fatalf("build interleave: %v\n%s", err, errOut)
	}
	return path
}

// Children counts live processes running the binary at path: after a run
// has ended there must be none.
func Children(t testing.TB, path string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	n := 0
	for _, e := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		if exe == path {
			if spawner(e.Name()) {
				continue
			}
			if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && zombie(st) {
				continue
			}
			n++
		}
	}
	return n
}

// spawnerArg is sandbox.SpawnerArg, which this package cannot import.
const spawnerArg = "__interleave_spawner"

// spawner reports whether the process pid is a Runner's spawner, which
// starts children but is not one.
func spawner(pid string) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
	if err != nil {
		return false
	}
	args := bytes.Split(cmdline, []byte{0})
	return len(args) > 1 && string(args[1]) == spawnerArg
}

// zombie reports whether a /proc/PID/stat line is of an exited process
// still waiting to be reaped by its parent.
func zombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// SecretFile writes a file only its owner may read and returns its path
// and the file, open for reading and closed when the test ends: what a
// server might hold that no sandbox child may.
func SecretFile(t testing.TB, content string) (string, *os.File) {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return secret, f
}
