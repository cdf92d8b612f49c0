package engine

import "runtime"

// rdtscpCPU reads the processor number that Linux keeps in IA32_TSC_AUX
// with the RDTSCP instruction: about 10 ns, no system call.
func rdtscpCPU() int

// cpuidHasRDTSCP reports whether the processor has RDTSCP.
func cpuidHasRDTSCP() bool

var useRDTSCP = cpuidHasRDTSCP() && rdtscpOK()

// rdtscpOK checks that the kernel fills TSC_AUX with the CPU number: on a
// hypervisor that does not, it reads 0 everywhere or garbage.
func rdtscpOK() bool {
	c := rdtscpCPU()
	if c < 0 || c >= runtime.NumCPU() {
		return false
	}
	s := syscallCPU()
	return s < 0 || s < runtime.NumCPU()
}

// currentCPU returns the processor the calling thread runs on.
func currentCPU() int {
	if useRDTSCP {
		return rdtscpCPU()
	}
	return syscallCPU()
}
