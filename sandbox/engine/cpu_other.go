//go:build !amd64

package engine

const useTSC = false

// These CPUs have no instruction the engine uses: cpu.go falls back to
// rseq and the system calls.
const cpuHasRDPID, cpuHasRDTSCP, cpuHasFSGSBASE = false, false, false

func ticks() int64            { return nanotime() }
func rdtsc() int64            { return nanotime() } // unused: useTSC is false
func rdpidCPU() int           { return syscallCPU() }
func rdtscpCPU() int          { return syscallCPU() }
func rdfsbase() uint64        { return uint64(gettid()) }
func runtimeTid() int         { return 0 }
func plausibleCPU(c int) bool { return c >= 0 }
