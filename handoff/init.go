//go:build !lean

package handoff

import "syscall"

// init hands a run, explore or list command to the lean binary beside
// this one. syscall.Exec returns only when it failed (no lean build
// beside, or not executable): then this binary runs the command itself.
func init() {
	if v, _ := syscall.Getenv(OffEnv); v == "off" {
		return
	}
	args, err := readFile("/proc/self/cmdline")
	if err != nil {
		return
	}
	exe, err := readlink("/proc/self/exe")
	if err != nil {
		return
	}
	if path, argv, ok := Target(exe, splitArgs(args)); ok {
		_ = syscall.Exec(path, argv, syscall.Environ())
	}
}

// readFile reads a whole (proc) file, whose size stat cannot tell.
func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	b := make([]byte, 0, 4096)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := syscall.Read(fd, b[len(b):cap(b)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func readlink(path string) (string, error) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := syscall.Readlink(path, b)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
}
