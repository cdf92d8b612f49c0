package engine

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"interleave/sandbox/trace"
)

// spareRing is a ring whose pages are already in memory, kept aside by
// Warm for the next run: a ring from the pool may have been dropped by a
// collection while a warm child waited for its request.
var spareRing atomic.Pointer[ring]

// getRing returns the spare ring if there is one, else one from the pool.
func getRing() *ring {
	if rg := spareRing.Swap(nil); rg != nil {
		return rg
	}
	return rings.Get().(*ring)
}

// Warm does, in a fresh process, what a first run would otherwise do
// after its request arrived: it compiles and runs a small script (the
// interpreter's and the engine's first-use costs), faults in the pages
// of a recorder ring, and starts osThreads OS threads that then idle in
// the Go runtime, ready for os-mode threads to lock. A sandbox child
// calls it while it waits for its request; it returns early, between
// steps, once stop reports true (the request has come).
func Warm(osThreads int, stop func() bool) {
	src := "def main():\n    c = cell(\"c\")\n    t = spawn(lambda: c.add(1))\n    c.get()\n    t.join()\n"
	for _, mode := range []trace.Mode{trace.ModeSim, trace.ModeGreen} {
		if stop() {
			return
		}
		Run(context.Background(), Request{Source: src, Mode: mode}, nil)
	}
	if stop() {
		return
	}
	rg := rings.Get().(*ring)
	for i := range rg.slots {
		rg.slots[i].ev = trace.Event{} // write every page once
	}
	spareRing.Store(rg)

	var started, release sync.WaitGroup
	release.Add(1)
	for range osThreads {
		started.Add(1)
		go func() {
			runtime.LockOSThread() // a locked goroutine that blocks keeps its own thread
			started.Done()
			release.Wait()
			runtime.UnlockOSThread()
		}()
	}
	started.Wait()
	release.Done()
}
