//go:build linux

package isolate

import "golang.org/x/sys/unix"

// auditArch is the seccomp_data.arch of a native amd64 call.
const auditArch = unix.AUDIT_ARCH_X86_64

// checkX32 is set as the x32 ABI enters the same filter with the same
// audit arch.
const checkX32 = true

// allowed is the allowlist (see seccomp.go) for amd64.
var allowed = []uint32{
	// The hottest calls come first: the filter tests them in this order.
	unix.SYS_FUTEX, unix.SYS_SCHED_YIELD, unix.SYS_GETCPU, unix.SYS_CLOCK_GETTIME, unix.SYS_NANOSLEEP, unix.SYS_WRITE, unix.SYS_READ,
	unix.SYS_EPOLL_PWAIT, unix.SYS_EPOLL_PWAIT2, unix.SYS_EPOLL_WAIT, unix.SYS_TGKILL, unix.SYS_GETTID, unix.SYS_GETPID,
	unix.SYS_RT_SIGRETURN, unix.SYS_MADVISE, unix.SYS_MMAP, unix.SYS_MUNMAP, unix.SYS_GETRUSAGE,
	// memory
	unix.SYS_MPROTECT, unix.SYS_BRK, unix.SYS_MREMAP, unix.SYS_MINCORE,
	// threads and scheduling
	unix.SYS_SCHED_GETAFFINITY, unix.SYS_SET_ROBUST_LIST, unix.SYS_SET_TID_ADDRESS,
	unix.SYS_TKILL, unix.SYS_EXIT, unix.SYS_EXIT_GROUP, unix.SYS_RSEQ, unix.SYS_MEMBARRIER,
	// signals
	unix.SYS_RT_SIGACTION, unix.SYS_RT_SIGPROCMASK, unix.SYS_SIGALTSTACK,
	// time
	unix.SYS_CLOCK_GETRES, unix.SYS_CLOCK_NANOSLEEP, unix.SYS_GETTIMEOFDAY,
	unix.SYS_TIMER_CREATE, unix.SYS_TIMER_SETTIME, unix.SYS_TIMER_DELETE, unix.SYS_SETITIMER,
	// I/O on the descriptors the child already holds
	unix.SYS_READV, unix.SYS_WRITEV, unix.SYS_PREAD64, unix.SYS_PWRITE64, unix.SYS_CLOSE, unix.SYS_FSTAT,
	unix.SYS_NEWFSTATAT, unix.SYS_LSEEK, unix.SYS_FCNTL, unix.SYS_DUP3,
	unix.SYS_EPOLL_CREATE1, unix.SYS_EPOLL_CTL, unix.SYS_EVENTFD2, unix.SYS_PIPE2, unix.SYS_POLL, unix.SYS_PPOLL,
	// misc read-only process state the runtime asks for
	unix.SYS_GETRLIMIT, unix.SYS_PRLIMIT64, unix.SYS_UNAME, unix.SYS_GETRANDOM, unix.SYS_ARCH_PRCTL, unix.SYS_GETUID, unix.SYS_GETEUID,
	unix.SYS_GETGID, unix.SYS_GETEGID, unix.SYS_RESTART_SYSCALL,
}
