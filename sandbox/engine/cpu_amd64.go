package engine

import "runtime"

// Reading the clock, the CPU and the OS thread on every event must cost
// a few nanoseconds, not a system call. On amd64 the engine uses:
//
//   - RDTSC for time (about 12 ns, against about 57 ns for the vDSO clock
//     on the development VM), when the TSC is invariant; the flusher turns
//     ticks into nanoseconds (see recorder.calibrate);
//   - RDPID, or else RDTSCP, for the CPU: Linux keeps the CPU number in
//     IA32_TSC_AUX (3 ns and 41 ns, against 250 ns for getcpu);
//   - RDFSBASE in green mode, to notice that a goroutine moved to another
//     OS thread without calling gettid (165 ns) on every event: Go gives
//     every OS thread its own FS base.

func rdtsc() int64
func rdpidCPU() int
func rdtscpCPU() int
func rdfsbase() uint64
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

var (
	maxLeaf, _, _, _    = cpuid(0, 0)
	maxExtLeaf, _, _, _ = cpuid(0x80000000, 0)

	hasRDPID     = maxLeaf >= 7 && bit(cpuidC(7), 22)
	hasFSGSBASE  = maxLeaf >= 7 && bit(cpuidB(7), 0) && kernelFSGSBASE()
	hasRDTSCP    = maxExtLeaf >= 0x80000001 && bit(cpuidD(0x80000001), 27)
	invariantTSC = maxExtLeaf >= 0x80000007 && bit(cpuidD(0x80000007), 8)

	cpuMethod = pickCPUMethod()
	useTSC    = invariantTSC
	useFSBase = hasFSGSBASE
)

func bit(x uint32, n uint) bool { return x&(1<<n) != 0 }

func cpuidB(leaf uint32) uint32 { _, b, _, _ := cpuid(leaf, 0); return b }
func cpuidC(leaf uint32) uint32 { _, _, c, _ := cpuid(leaf, 0); return c }
func cpuidD(leaf uint32) uint32 { _, _, _, d := cpuid(leaf, 0); return d }

const (
	cpuSyscall = iota
	cpuRDPID
	cpuRDTSCP
)

// pickCPUMethod prefers the cheapest instruction that reads a plausible
// CPU number: a hypervisor that does not fill TSC_AUX reads 0 or garbage.
func pickCPUMethod() int {
	ok := func(c int) bool { return c >= 0 && c < runtime.NumCPU() }
	switch {
	case hasRDPID && ok(rdpidCPU()):
		return cpuRDPID
	case hasRDTSCP && ok(rdtscpCPU()):
		return cpuRDTSCP
	}
	return cpuSyscall
}

// currentCPU returns the processor the calling thread runs on.
func currentCPU() int {
	switch cpuMethod {
	case cpuRDPID:
		return rdpidCPU()
	case cpuRDTSCP:
		return rdtscpCPU()
	}
	return syscallCPU()
}

// ticks is the event clock of the real modes: TSC ticks when the TSC is
// invariant, else monotonic nanoseconds.
func ticks() int64 {
	if useTSC {
		return rdtsc()
	}
	return nanotime()
}

// threadID returns an id for the OS thread the caller runs on that is
// equal for two calls on the same thread: the FS base where RDFSBASE is
// allowed, else the tid itself.
func threadKey() uint64 {
	if useFSBase {
		return rdfsbase()
	}
	return uint64(gettid())
}
