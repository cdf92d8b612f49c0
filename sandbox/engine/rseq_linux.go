package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rseqArea is the kernel's struct rseq in its original 32-byte size:
// once it is registered for a thread, the kernel writes the thread's CPU
// into cpuID every time the thread returns to user space after running
// elsewhere, so reading the CPU is one load. The Go runtime registers no
// rseq area of its own (Go 1.26). A C library that did (glibc 2.35 and
// later, in a cgo binary) makes registration fail with EINVAL, and the
// engine falls back to the next path for that thread; the shipped binary
// is static.
type rseqArea struct {
	cpuIDStart uint32
	cpuID      uint32
	cs         uint64
	flags      uint32
	_          [12]byte
}

const (
	rseqSize       = 32
	rseqSig        = 0x53053053
	rseqUnregister = 1
	rseqChunk      = 64
)

var (
	rseqMu sync.Mutex
	// rseqOf maps a tid to its registered area, or to nil when the
	// kernel refused one.
	rseqOf   = map[int]*rseqArea{}
	rseqFree []*rseqArea
	// rseqMem keeps every area alive: the kernel writes into an area
	// until its thread unregisters it or exits, so the memory is never
	// given back to the Go heap.
	rseqMem [][]byte
)

func (a *rseqArea) cpu() int { return int(atomic.LoadUint32(&a.cpuID)) }

// newRseqAreaLocked takes a free, 32-byte aligned area; rseqMu is held.
func newRseqAreaLocked() *rseqArea {
	if len(rseqFree) == 0 {
		buf := make([]byte, rseqSize*(rseqChunk+1))
		rseqMem = append(rseqMem, buf)
		off := (rseqSize - uintptr(unsafe.Pointer(&buf[0]))%rseqSize) % rseqSize
		for i := range rseqChunk {
			p := unsafe.Add(unsafe.Pointer(&buf[0]), off+uintptr(i*rseqSize))
			rseqFree = append(rseqFree, (*rseqArea)(p))
		}
	}
	a := rseqFree[len(rseqFree)-1]
	rseqFree = rseqFree[:len(rseqFree)-1]
	*a = rseqArea{cpuIDStart: ^uint32(0), cpuID: ^uint32(0)}
	return a
}

// rseqHere returns the calling OS thread's tid and its rseq area,
// registering one the first time, or nil if the kernel refuses.
func rseqHere() (int, *rseqArea) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := gettid()
	rseqMu.Lock()
	defer rseqMu.Unlock()
	if a, ok := rseqOf[tid]; ok {
		return tid, a
	}
	a := newRseqAreaLocked()
	_, _, e := syscall.RawSyscall6(unix.SYS_RSEQ, uintptr(unsafe.Pointer(a)), rseqSize, 0, rseqSig, 0, 0)
	if e != 0 {
		rseqFree = append(rseqFree, a)
		a = nil
	}
	rseqOf[tid] = a
	return tid, a
}

// rseqForget unregisters a, the area of the calling OS thread, which is
// about to exit. If the kernel refuses, the area is never reused.
func rseqForget(a *rseqArea) {
	rseqMu.Lock()
	defer rseqMu.Unlock()
	delete(rseqOf, gettid())
	_, _, e := syscall.RawSyscall6(unix.SYS_RSEQ, uintptr(unsafe.Pointer(a)), rseqSize, rseqUnregister, rseqSig, 0, 0)
	if e == 0 {
		rseqFree = append(rseqFree, a)
	}
}
