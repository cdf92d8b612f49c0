package engine

import "runtime"

// Reading the clock, the CPU and the OS thread on every event must cost
// a few nanoseconds, not a system call. On amd64 the engine uses:
//
//   - RDTSC for time (about 12 ns, against about 57 ns for the vDSO clock
//     on the development VM), when the TSC is invariant; the flusher turns
//     ticks into nanoseconds (see recorder.calibrate);
//   - RDPID for the CPU where the CPU has it: Linux keeps the CPU number
//     in IA32_TSC_AUX (3 ns, against 250-1,100 ns for getcpu); else the
//     thread's rseq area (cpu.go), else RDTSCP (41 ns);
//   - the runtime's own record of the OS thread id (runtimeTid), else
//     RDFSBASE, to know the OS thread of a green thread without calling
//     gettid (165-500 ns) on every event.

func rdtsc() int64
func rdpidCPU() int
func rdtscpCPU() int
func rdfsbase() uint64
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// runtimeTidAsm reads the tid that the Go runtime stored for the OS
// thread running the caller (g.m.procid), or 0 if it has no M.
func runtimeTidAsm() uint64

var (
	maxLeaf, _, _, _    = cpuid(0, 0)
	maxExtLeaf, _, _, _ = cpuid(0x80000000, 0)

	cpuHasRDPID    = maxLeaf >= 7 && bit(cpuidC(7), 22)
	cpuHasFSGSBASE = maxLeaf >= 7 && bit(cpuidB(7), 0) && kernelFSGSBASE()
	cpuHasRDTSCP   = maxExtLeaf >= 0x80000001 && bit(cpuidD(0x80000001), 27)
	invariantTSC   = maxExtLeaf >= 0x80000007 && bit(cpuidD(0x80000007), 8)

	useTSC = invariantTSC
)

func bit(x uint32, n uint) bool { return x&(1<<n) != 0 }

func cpuidB(leaf uint32) uint32 { _, b, _, _ := cpuid(leaf, 0); return b }
func cpuidC(leaf uint32) uint32 { _, _, c, _ := cpuid(leaf, 0); return c }
func cpuidD(leaf uint32) uint32 { _, _, _, d := cpuid(leaf, 0); return d }

// plausibleCPU rejects what a hypervisor that does not fill TSC_AUX
// returns: 0 everywhere is plausible, garbage is not.
func plausibleCPU(c int) bool { return c >= 0 && c < runtime.NumCPU() }

// ticks is the event clock of the real modes: TSC ticks when the TSC is
// invariant, else monotonic nanoseconds.
func ticks() int64 {
	if useTSC {
		return rdtsc()
	}
	return nanotime()
}

// runtimeTid is runtimeTidAsm where the layout of the runtime's g and m
// is the one it was written for; tidPaths checks it against gettid.
func runtimeTid() int { return int(runtimeTidAsm()) }
