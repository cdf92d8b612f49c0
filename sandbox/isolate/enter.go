package isolate

import (
	"fmt"

	"github.com/landlock-lsm/go-landlock/landlock"
	"golang.org/x/sys/unix"
	"interleave/limits"
)

// Enter locks the calling process down as spec says: rlimits first (they
// need no privilege), then Landlock (no file, network or IPC access), then
// the seccomp allowlist, loaded on every thread at once (TSYNC) since the
// Go runtime has started several already. It must run before any
// untrusted input is read; there is no way back. A binary built with cgo
// skips Landlock (see cgoBuild) and its probe says so.
func Enter(spec Spec) error {
	if spec.Rlimits {
		if err := setRlimits(spec.Limits, !spec.CgroupMemory); err != nil {
			return err
		}
	}
	if spec.Landlock > 0 && !cgoBuild {
		if err := restrictLandlock(spec.Landlock); err != nil {
			return err
		}
	}
	if spec.Seccomp {
		if err := loadSeccomp(); err != nil {
			return err
		}
	}
	return nil
}

// dataSlack is the room RLIMIT_DATA leaves above the memory limit: the
// child watches its heap and stops the run cleanly at the limit; the
// rlimit is the backstop for an allocation too large to watch where no
// cgroup limits memory (see Spec.CgroupMemory).
const dataSlack = 128 << 20

func setRlimits(l limits.Limits, limitData bool) error {
	set := func(name string, res int, soft, hard uint64) error {
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: soft, Max: hard}); err != nil {
			return fmt.Errorf("set %s limit: %w", name, err)
		}
		return nil
	}
	if l.CPUSeconds > 0 {
		// SIGXCPU at the soft limit, SIGKILL a second later.
		if err := set("cpu", unix.RLIMIT_CPU, uint64(l.CPUSeconds), uint64(l.CPUSeconds)+1); err != nil {
			return err
		}
	}
	if l.MemoryBytes > 0 && limitData {
		data := uint64(l.MemoryBytes) + dataSlack + uint64(l.Threads+threadSlack)*threadStackReserve
		if err := set("data", unix.RLIMIT_DATA, data, data); err != nil {
			return err
		}
	}
	if err := set("fsize", unix.RLIMIT_FSIZE, 0, 0); err != nil {
		return err
	}
	if err := set("core", unix.RLIMIT_CORE, 0, 0); err != nil {
		return err
	}
	// stdin, stdout, stderr, the event pipe and the runtime's epoll and
	// its wakeup pipe fit in 16; nothing else may be opened.
	return set("nofile", unix.RLIMIT_NOFILE, 16, 16)
}

var landlockConfigs = map[int]landlock.Config{
	1: landlock.V1, 2: landlock.V2, 3: landlock.V3, 4: landlock.V4,
	5: landlock.V5, 6: landlock.V6, 7: landlock.V7,
}

// restrictLandlock denies every file access, TCP bind and connect, and
// IPC scopes that the given ABI can express. With no rules, nothing is
// allowed.
func restrictLandlock(abi int) error {
	if abi > 7 {
		abi = 7
	}
	cfg, ok := landlockConfigs[abi]
	if !ok {
		return fmt.Errorf("landlock: unsupported ABI %d", abi)
	}
	if err := cfg.Restrict(); err != nil {
		return fmt.Errorf("landlock: restrict: %w", err)
	}
	return nil
}

// LandlockABI returns the Landlock ABI version the kernel offers, or 0.
func LandlockABI() int {
	v, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return 0
	}
	return int(v)
}
