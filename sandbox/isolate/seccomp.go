package isolate

import (
	"fmt"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/sys/unix"
)

// allowed is what a running Go program that computes, sleeps, makes
// threads and writes to already-open pipes needs, and nothing more: no
// open, no socket, no fork or exec, no mount, no ptrace. Everything else
// fails with EPERM (not a kill), so a script's attempt is an error in the
// run, not a mystery crash.
var allowed = []string{
	// The hottest calls come first: the filter tests them in this order.
	"futex", "sched_yield", "getcpu", "clock_gettime", "nanosleep", "write", "read",
	"epoll_pwait", "epoll_pwait2", "epoll_wait", "tgkill", "gettid", "getpid",
	"rt_sigreturn", "madvise", "mmap", "munmap", "getrusage",
	// memory
	"mprotect", "brk", "mremap", "mincore",
	// threads and scheduling
	"sched_getaffinity", "set_robust_list", "set_tid_address",
	"tkill", "exit", "exit_group", "rseq", "membarrier",
	// signals
	"rt_sigaction", "rt_sigprocmask", "sigaltstack",
	// time
	"clock_getres", "clock_nanosleep", "gettimeofday",
	"timer_create", "timer_settime", "timer_delete", "setitimer",
	// I/O on the descriptors the child already holds
	"readv", "writev", "pread64", "pwrite64", "close", "fstat",
	"newfstatat", "lseek", "fcntl", "dup3",
	"epoll_create1", "epoll_ctl", "eventfd2", "pipe2", "poll", "ppoll",
	// misc read-only process state the runtime asks for
	"getrlimit", "prlimit64", "uname", "getrandom", "arch_prctl", "getuid", "geteuid",
	"getgid", "getegid", "restart_syscall",
}

// errnoENOSYS fails a call with ENOSYS rather than the default EPERM.
const errnoENOSYS = seccomp.Action(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))

func loadSeccomp() error {
	filter := seccomp.Filter{
		NoNewPrivs: true,
		Flag:       seccomp.FilterFlagTSync,
		Policy: seccomp.Policy{
			DefaultAction: seccomp.ActionErrno,
			Syscalls: []seccomp.SyscallGroup{
				{Action: seccomp.ActionAllow, Names: allowed},
				// clone3 cannot be filtered by flags (they sit in memory),
				// so it reports "not implemented" and C libraries fall back
				// to clone, which can.
				{Action: errnoENOSYS, Names: []string{"clone3"}},
				{
					// clone makes threads (CLONE_THREAD) but never processes.
					Action: seccomp.ActionAllow,
					NamesWithCondtions: []seccomp.NameWithConditions{{
						Name: "clone",
						Conditions: []seccomp.Condition{{
							Argument: 0, Operation: seccomp.BitsSet, Value: unix.CLONE_THREAD,
						}},
					}},
				},
			},
		},
	}
	if err := seccomp.LoadFilter(filter); err != nil {
		return fmt.Errorf("seccomp: load filter: %w", err)
	}
	return nil
}

// SeccompSupported reports whether the kernel can load seccomp filters.
func SeccompSupported() bool { return seccomp.Supported() }
