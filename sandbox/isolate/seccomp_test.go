//go:build linux && (amd64 || arm64)

package isolate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// seccompData is a struct seccomp_data as the kernel hands it to a
// filter: nr, arch, instruction pointer, then six 64-bit arguments.
func seccompData(arch, nr uint32, args ...uint64) []byte {
	b := make([]byte, 64)
	binary.NativeEndian.PutUint32(b[dataNr:], nr)
	binary.NativeEndian.PutUint32(b[dataArch:], arch)
	for i, a := range args {
		binary.NativeEndian.PutUint64(b[dataArg0+8*i:], a)
	}
	return b
}

// runBPF interprets prog over data, knowing only the opcodes assemble
// emits, and returns what the filter returns.
func runBPF(t *testing.T, prog []unix.SockFilter, data []byte) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if int(ins.K)+4 > len(data) {
				t.Fatalf("pc %d: load at %d is outside seccomp_data", pc, ins.K)
			}
			a = binary.NativeEndian.Uint32(data[ins.K:])
		case unix.BPF_JMP | unix.BPF_JA:
			pc += int(ins.K)
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			pc += branch(a == ins.K, ins)
		case unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K:
			pc += branch(a >= ins.K, ins)
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			pc += branch(a&ins.K != 0, ins)
		case unix.BPF_RET | unix.BPF_K:
			return ins.K
		default:
			t.Fatalf("pc %d: unexpected opcode %#x", pc, ins.Code)
		}
	}
	t.Fatalf("program of %d instructions ran off its end", len(prog))
	return 0
}

func branch(cond bool, ins unix.SockFilter) int {
	if cond {
		return int(ins.Jt)
	}
	return int(ins.Jf)
}

// checkJumps fails unless every jump of prog lands inside it and the
// program ends in a return, as the kernel's checker demands.
func checkJumps(t *testing.T, prog []unix.SockFilter) {
	t.Helper()
	if len(prog) == 0 || len(prog) >= unix.BPF_MAXINSNS {
		t.Fatalf("program has %d instructions, want 1 to %d", len(prog), unix.BPF_MAXINSNS-1)
	}
	for pc, ins := range prog {
		if ins.Code&0x07 != unix.BPF_JMP {
			continue
		}
		targets := []int{pc + 1 + int(ins.Jt), pc + 1 + int(ins.Jf)}
		if ins.Code == unix.BPF_JMP|unix.BPF_JA {
			targets = []int{pc + 1 + int(ins.K)}
		}
		for _, to := range targets {
			if to >= len(prog) {
				t.Errorf("pc %d: jump to %d, past the program's %d instructions", pc, to, len(prog))
			}
		}
	}
	if last := prog[len(prog)-1]; last.Code != unix.BPF_RET|unix.BPF_K {
		t.Errorf("last instruction = %#x, want a return", last.Code)
	}
}

// Thread flags as the Go runtime and glibc's pthread_create pass them,
// and process flags as fork and vfork do.
const (
	goThreadFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_SYSVSEM | unix.CLONE_THREAD
	pthreadFlags  = goThreadFlags | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID | unix.CLONE_CHILD_CLEARTID
	forkFlags     = unix.CLONE_CHILD_SETTID | unix.CLONE_CHILD_CLEARTID | uint64(unix.SIGCHLD)
	vforkFlags    = unix.CLONE_VM | unix.CLONE_VFORK | uint64(unix.SIGCHLD)
)

type filterCase struct {
	name string
	arch uint32
	nr   uint32
	args []uint64
	want uint32
}

func filterCases() []filterCase {
	var cases []filterCase
	for i, nr := range allowed {
		cases = append(cases, filterCase{name: fmt.Sprintf("allowed[%d]=%d", i, nr), arch: auditArch, nr: nr, want: retAllow})
	}
	cases = append(cases,
		filterCase{"clone go thread", auditArch, unix.SYS_CLONE, []uint64{goThreadFlags}, retAllow},
		filterCase{"clone pthread", auditArch, unix.SYS_CLONE, []uint64{pthreadFlags}, retAllow},
		filterCase{"clone fork", auditArch, unix.SYS_CLONE, []uint64{forkFlags}, retDeny},
		filterCase{"clone vfork", auditArch, unix.SYS_CLONE, []uint64{vforkFlags}, retDeny},
		filterCase{"clone thread bit in high word", auditArch, unix.SYS_CLONE, []uint64{unix.CLONE_THREAD<<32 | uint64(unix.SIGCHLD)}, retDeny},
		filterCase{"clone3", auditArch, unix.SYS_CLONE3, nil, retENOSYS},
		filterCase{"openat", auditArch, unix.SYS_OPENAT, nil, retDeny},
		filterCase{"socket", auditArch, unix.SYS_SOCKET, nil, retDeny},
		filterCase{"execve", auditArch, unix.SYS_EXECVE, nil, retDeny},
		filterCase{"ptrace", auditArch, unix.SYS_PTRACE, nil, retDeny},
		filterCase{"mount", auditArch, unix.SYS_MOUNT, nil, retDeny},
		filterCase{"unknown number", auditArch, x32Bit - 1, nil, retDeny},
		filterCase{"write as i386", unix.AUDIT_ARCH_I386, unix.SYS_WRITE, nil, retDeny},
		filterCase{"write as arm", unix.AUDIT_ARCH_ARM, unix.SYS_WRITE, nil, retDeny},
		filterCase{"x32 write", auditArch, x32Bit | unix.SYS_WRITE, nil, retDeny},
		filterCase{"x32 clone thread", auditArch, x32Bit | unix.SYS_CLONE, []uint64{goThreadFlags}, retDeny},
	)
	for _, d := range archDenied {
		cases = append(cases, filterCase{d.name, auditArch, d.nr, nil, retDeny})
	}
	return cases
}

func TestFilter(t *testing.T) {
	prog := filter()
	t.Logf("filter: %d instructions for %d allowed calls", len(prog), len(allowed))
	checkJumps(t, prog)
	for _, tt := range filterCases() {
		t.Run(tt.name, func(t *testing.T) {
			if got := runBPF(t, prog, seccompData(tt.arch, tt.nr, tt.args...)); got != tt.want {
				t.Errorf("filter(%s) = %#x, want %#x", tt.name, got, tt.want)
			}
		})
	}
}

// TestFilterBlocks assembles the allowlist in blocks smaller than it, so
// that the code joining blocks runs too.
func TestFilterBlocks(t *testing.T) {
	for _, block := range []int{1, 2, 7, len(allowed) - 1, len(allowed), 255} {
		t.Run(strconv.Itoa(block), func(t *testing.T) {
			prog := assemble(auditArch, checkX32, allowed, block)
			checkJumps(t, prog)
			for _, tt := range filterCases() {
				if got := runBPF(t, prog, seccompData(tt.arch, tt.nr, tt.args...)); got != tt.want {
					t.Errorf("filter(%s) = %#x, want %#x", tt.name, got, tt.want)
				}
			}
		})
	}
}

// TestFilterNoDuplicates guards the allowlist against a call listed
// twice, which would cost every later call a comparison.
func TestFilterNoDuplicates(t *testing.T) {
	seen := map[uint32]int{}
	for i, nr := range allowed {
		if j, ok := seen[nr]; ok {
			t.Errorf("allowed[%d] = %d, already allowed[%d]", i, nr, j)
		}
		seen[nr] = i
	}
}

// seccompChildEnv makes the test binary, run again, load the filter
// into itself: a filter cannot be taken off, so it needs its own process.
const seccompChildEnv = "INTERLEAVE_TEST_SECCOMP_CHILD"

// seccompChildOK is what the child writes when all went as expected.
const seccompChildOK = "seccomp child: ok"

func TestSeccompLoad(t *testing.T) {
	if os.Getenv(seccompChildEnv) == "1" {
		seccompChild()
		return
	}
	if !SeccompSupported() {
		t.Skip("seccomp is not available")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSeccompLoad$", "-test.count=1")
	cmd.Env = append(os.Environ(), seccompChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), seccompChildOK) {
		t.Fatalf("child under seccomp: %v, output:\n%s", err, out)
	}
}

// seccompChild loads the filter and checks what it denies and allows,
// then exits: 0 after writing seccompChildOK, 1 with the first failure.
func seccompChild() {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(1)
	}
	// The threads there are now, read while /proc can still be opened.
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		fail("read threads: %v", err)
	}
	before := map[int]bool{}
	for _, e := range tasks {
		tid, _ := strconv.Atoi(e.Name())
		before[tid] = true
	}
	if err := loadSeccomp(); err != nil {
		fail("loadSeccomp() = %v, want nil", err)
	}
	if f, err := os.Open("/etc/hostname"); !errors.Is(err, unix.EPERM) {
		if err == nil {
			f.Close()
		}
		fail("os.Open(/etc/hostname) error = %v, want EPERM", err)
	}
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0); !errors.Is(err, unix.EPERM) {
		if err == nil {
			unix.Close(fd)
		}
		fail("socket() error = %v, want EPERM", err)
	}
	// One more goroutine, each holding its own thread, than there were
	// threads: at least one thread must be made under the filter.
	n := len(before) + 1
	tids, release := make(chan int), make(chan struct{})
	for range n {
		go func() {
			runtime.LockOSThread()
			tids <- unix.Gettid()
			<-release
		}()
	}
	made := 0
	for range n {
		if !before[<-tids] {
			made++
		}
	}
	close(release)
	if made == 0 {
		fail("%d goroutines on locked threads made no new thread", n)
	}
	if _, err := os.Stdout.WriteString(seccompChildOK + "\n"); err != nil {
		fail("write stdout: %v", err)
	}
	os.Exit(0)
}
