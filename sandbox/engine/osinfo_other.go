//go:build !linux

package engine

import "runtime"

func gettid() int { return 0 }

func syscallCPU() int { return -1 }

func osYield() { runtime.Gosched() }

func processCPUTime() int64 { return 0 }

func kernelFSGSBASE() bool { return false }
