//go:build !linux

package engine

import "runtime"

func gettid() int { return 0 }

func syscallCPU() int { return -1 }

func osYield() { runtime.Gosched() }

func processCPUTime() int64 { return 0 }

func threadCPUTime() int64 { return -1 }

func kernelFSGSBASE() bool { return false }

// rseqArea is Linux's; elsewhere no thread has one.
type rseqArea struct{}

func (a *rseqArea) cpu() int { return -1 }

func rseqHere() (int, *rseqArea) { return gettid(), nil }

func rseqForget(*rseqArea) {}
