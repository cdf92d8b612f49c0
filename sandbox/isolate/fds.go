package isolate

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseInherited closes every descriptor the process inherited from its
// parent except 0 to keep-1 (stdio and the event pipe): a server started
// with `9</root-only-file` would otherwise hand fd 9 to every child, and
// neither Landlock nor seccomp (which allows read) covers a descriptor
// already open. It must run first in the child, before the sandbox is
// entered and before anything a stranger wrote is read.
//
// An inherited descriptor is one without FD_CLOEXEC: exec closed those
// that had it, and Go opens every descriptor of its own with it. That
// rule spares the runtime's own, which close_range(keep, ~0) would not:
// Go 1.25 and later keep the cgroup CPU files open from before main to
// track GOMAXPROCS, at the lowest free numbers, right after the event
// pipe.
func CloseInherited(keep int) error {
	fds, err := openFDs()
	if err != nil {
		return err
	}
	for _, fd := range fds {
		if fd < keep {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			continue // closed meanwhile (the directory read below), or our own
		}
		if err := unix.Close(fd); err != nil {
			return fmt.Errorf("close inherited descriptor %d: %w", fd, err)
		}
	}
	return nil
}

// openFDs lists the open descriptors from /proc/self/fd or, where /proc
// cannot be read, every number below the descriptor limit.
func openFDs() ([]int, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err == nil {
		fds := make([]int, 0, len(entries))
		for _, e := range entries {
			if fd, err := strconv.Atoi(e.Name()); err == nil {
				fds = append(fds, fd)
			}
		}
		return fds, nil
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return nil, fmt.Errorf("list open descriptors: %w", err)
	}
	n := int(min(lim.Cur, 1<<20))
	fds := make([]int, n)
	for i := range fds {
		fds[i] = i
	}
	return fds, nil
}
