//go:build linux && (amd64 || arm64)

package isolate

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The filter is classic BPF assembled here from the allowlist (allowed,
// in the per-architecture files) rather than by a library: syscall
// numbers are compile-time constants, so a child pays nothing for the
// filter until it loads it. The policy: a running Go program that
// computes, sleeps, makes threads and writes to already-open pipes gets
// what it needs, and nothing more: no open, no socket, no fork or exec,
// no mount, no ptrace. Everything else fails with EPERM (not a kill), so
// a script's attempt is an error in the run, not a mystery crash.

// Offsets into struct seccomp_data, which the filter reads.
const (
	dataNr   = 0  // int nr
	dataArch = 4  // __u32 arch
	dataArg0 = 16 // __u64 args[0]: its low 32 bits, as both arches are little-endian
)

// x32Bit marks a call through the x32 ABI on amd64: its numbers are
// another table, so they never reach the allowlist.
const x32Bit = 0x40000000

const (
	retAllow  = unix.SECCOMP_RET_ALLOW
	retDeny   = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// allowBlock is how many comparisons share one RET ALLOW: a BPF jump
// offset is 8 bits, so the first comparison of a block must reach the
// return within 255 instructions.
const allowBlock = 255

func stmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

func jump(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
	return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
}

// filter assembles the program for the native architecture.
func filter() []unix.SockFilter {
	return assemble(auditArch, checkX32, allowed, allowBlock)
}

// assemble builds the program: the architecture check, the x32 guard
// (if x32), the allowlist in its order, since the hottest calls come
// first and each comparison costs every call after it, then clone3 and
// clone. Each block of up to block comparisons jumps to a RET ALLOW right
// after it, so no jump is longer than the block.
func assemble(arch uint32, x32 bool, nrs []uint32, block int) []unix.SockFilter {
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
		jset  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
	)
	prog := []unix.SockFilter{
		stmt(ldAbs, dataArch),
		jump(jeq, arch, 1, 0),
		stmt(ret, retDeny),
		stmt(ldAbs, dataNr),
	}
	if x32 {
		prog = append(prog, jump(jge, x32Bit, 0, 1), stmt(ret, retDeny))
	}
	for len(nrs) > 0 {
		n := min(block, len(nrs))
		for i, nr := range nrs[:n] {
			// Jump to the RET ALLOW after the block's last comparison,
			// whose miss skips over it.
			jt := uint8(n - 1 - i)
			var jf uint8
			if i == n-1 {
				jf = 1
			}
			prog = append(prog, jump(jeq, nr, jt, jf))
		}
		prog = append(prog, stmt(ret, retAllow))
		nrs = nrs[n:]
	}
	return append(prog,
		// clone3 cannot be filtered by flags (they sit in memory), so it
		// reports "not implemented" and C libraries fall back to clone,
		// which can.
		jump(jeq, unix.SYS_CLONE3, 0, 1),
		stmt(ret, retENOSYS),
		// clone makes threads (CLONE_THREAD) but never processes.
		jump(jeq, unix.SYS_CLONE, 0, 3),
		stmt(ldAbs, dataArg0),
		jump(jset, unix.CLONE_THREAD, 0, 1),
		stmt(ret, retAllow),
		stmt(ret, retDeny),
	)
}

func loadSeccomp() error {
	prog := filter()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// no_new_privs is a property of the thread, and TSYNC passes it on
	// only from the thread that loads the filter, so both calls must run
	// on the same one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("seccomp: set no_new_privs: %w", err)
	}
	tid, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: load filter: %w", errno)
	}
	if tid != 0 {
		// With TSYNC, a positive return is a thread that could not take
		// the filter; nothing was loaded.
		return fmt.Errorf("seccomp: load filter: thread %d cannot be synchronized", tid)
	}
	return nil
}

// SeccompSupported reports whether the kernel can load seccomp filters.
func SeccompSupported() bool {
	// Strict mode takes no flags: a kernel with seccomp rejects flag 1
	// with EINVAL without entering the mode.
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_STRICT, 1, 0)
	return errno == unix.EINVAL
}
