//go:build !amd64

package engine

// currentCPU returns the processor the calling thread runs on.
func currentCPU() int { return syscallCPU() }
