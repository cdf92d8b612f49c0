package engine

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"interleave/sandbox/trace"
)

// Which processor and which OS thread an event happened on is read per
// event, so each read must cost nanoseconds. The paths, cheapest first:
//
// CPU:
//   - rdpid: the RDPID instruction (amd64).
//   - rseq: the cpu_id word the kernel keeps in an rseq area registered
//     for the thread (rseq.go): a memory read, updated by the kernel
//     whenever the thread returns to user space on another CPU. os-mode
//     threads register at start; green threads register each runtime
//     thread the first time they run on it.
//   - rdtscp: the RDTSCP instruction (amd64).
//   - getcpu: the system call.
//
// OS thread (green mode; an os-mode thread reads its tid once):
//   - runtime: the tid the Go runtime stored for the thread (m.procid),
//     two loads, checked against gettid at start-up.
//   - fsbase: RDFSBASE, with gettid when the FS base changes.
//   - gettid: the system call.
//
// Every path reports the same truth as the system calls would at that
// instant. The environment variable INTERLEAVE_CPU_PATH, read once by the
// process's first run in os or green mode, takes fewer paths, to measure a machine without these
// instructions on one that has them:
//
//	auto (or unset)  the best available
//	rdtscp           as without RDPID
//	plain            as without RDPID, RDTSCP and FSGSBASE: rseq and runtime
//	syscall          plain without rseq and runtime: getcpu and gettid
//
// An unknown value is taken as auto.
const (
	cpuSyscall = iota
	cpuRDPID
	cpuRSEQ
	cpuRDTSCP
)

const (
	tidSyscall = iota
	tidRuntime
	tidFSBase
)

var cpuMethod, tidMethod int

// cpuChosen makes the paths be chosen once, by the first run of a real
// mode rather than at start-up: a sim run, and every process that only
// links the engine (the CLI, the server), never reads them, and the probe
// costs a registration and system calls in each.
var cpuChosen sync.Once

// chooseCPUPaths picks the paths INTERLEAVE_CPU_PATH allows, once.
func chooseCPUPaths() {
	cpuChosen.Do(func() {
		if applyCPUPaths(os.Getenv("INTERLEAVE_CPU_PATH")) != nil {
			_ = applyCPUPaths("auto")
		}
	})
}

// cpuLevels are the values of INTERLEAVE_CPU_PATH.
var cpuLevels = []string{"auto", "rdtscp", "plain", "syscall"}

// configureCPU picks the CPU and thread paths that level allows, in
// place of the environment's choice.
func configureCPU(level string) error {
	cpuChosen.Do(func() {})
	return applyCPUPaths(level)
}

// applyCPUPaths picks the CPU and thread paths that level allows.
func applyCPUPaths(level string) error {
	rdpid, rdtscp, fsbase, kernel := cpuHasRDPID, cpuHasRDTSCP, cpuHasFSGSBASE, true
	switch level {
	case "", "auto":
	case "rdtscp":
		rdpid = false
	case "plain":
		rdpid, rdtscp, fsbase = false, false, false
	case "syscall":
		rdpid, rdtscp, fsbase, kernel = false, false, false, false
	default:
		return fmt.Errorf("INTERLEAVE_CPU_PATH=%q: want one of %v", level, cpuLevels)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	switch {
	case rdpid && plausibleCPU(rdpidCPU()):
		cpuMethod = cpuRDPID
	case kernel && rseqUsable():
		cpuMethod = cpuRSEQ
	case rdtscp && plausibleCPU(rdtscpCPU()):
		cpuMethod = cpuRDTSCP
	default:
		cpuMethod = cpuSyscall
	}
	switch {
	case kernel && runtimeTid() == gettid():
		tidMethod = tidRuntime
	case fsbase:
		tidMethod = tidFSBase
	default:
		tidMethod = tidSyscall
	}
	return nil
}

// rseqUsable registers an rseq area for the calling (locked) thread and
// reports whether the kernel accepted it and keeps a plausible CPU in it.
func rseqUsable() bool {
	_, a := rseqHere()
	return a != nil && plausibleCPU(a.cpu())
}

// currentCPU returns the processor the calling thread runs on, without a
// thread's rseq area.
func currentCPU() int {
	switch cpuMethod {
	case cpuRDPID:
		return rdpidCPU()
	case cpuRDTSCP:
		return rdtscpCPU()
	}
	return syscallCPU()
}

// cpu returns the processor t's OS thread runs on. In green mode call it
// after osTid, which finds the rseq area of the thread t is on.
func (t *thread) cpu() int {
	if cpuMethod == cpuRSEQ && t.rseq != nil {
		return t.rseq.cpu()
	}
	return currentCPU()
}

// enterOSThread prepares the CPU reads of an os-mode thread, on the OS
// thread it is locked to for life.
func (t *thread) enterOSThread() {
	if cpuMethod == cpuRSEQ {
		t.rseqTid, t.rseq = rseqHere()
	}
}

// leaveOSThread unregisters the rseq area of an os-mode thread before its
// OS thread exits, so that the area can serve another thread.
func (t *thread) leaveOSThread() {
	if t.rseq != nil && t.r.mode == trace.ModeOS {
		rseqForget(t.rseq)
		t.rseq = nil
	}
}

// osTid is the OS thread a green thread runs on now.
func (t *thread) osTid() int {
	var tid int
	switch tidMethod {
	case tidRuntime:
		tid = runtimeTid()
	case tidFSBase:
		tid = t.fsBaseTid()
	default:
		tid = gettid()
	}
	if cpuMethod == cpuRSEQ && tid != t.rseqTid {
		// The goroutine is on another OS thread: find that thread's area.
		// If it moves again meanwhile, the next event looks again.
		t.rseqTid, t.rseq = rseqHere()
	}
	return tid
}

// fsBaseTid calls gettid only when the FS base, which Go gives every OS
// thread, changes.
func (t *thread) fsBaseTid() int {
	k := rdfsbase()
	if k == t.lastKey && t.lastTid != 0 {
		return t.lastTid
	}
	r := t.r
	r.tidMu.Lock()
	tid, ok := r.tids[k]
	r.tidMu.Unlock()
	if !ok {
		for {
			k1, id, k2 := rdfsbase(), gettid(), rdfsbase()
			if k1 == k2 {
				k, tid = k1, id
				break
			}
		}
		r.tidMu.Lock()
		if r.tids == nil {
			r.tids = map[uint64]int{}
		}
		r.tids[k] = tid
		r.tidMu.Unlock()
	}
	t.lastKey, t.lastTid = k, tid
	return tid
}
