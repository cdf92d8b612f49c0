//go:build !amd64

package engine

const useTSC, useFSBase = false, false

func currentCPU() int   { return syscallCPU() }
func ticks() int64      { return nanotime() }
func rdtsc() int64      { return nanotime() } // unused: useTSC is false
func threadKey() uint64 { return uint64(gettid()) }
