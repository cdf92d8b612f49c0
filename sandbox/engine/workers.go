package engine

import "time"

// A scenario thread's goroutine grows its stack from 8 KiB as Starlark
// calls nest, which cost 12-17% of a short sim run (runtime.newstack and
// copystack in the profile). Sim and green threads therefore run on
// goroutines that ran an earlier thread and kept their grown stack. An
// idle worker exits after workerIdle, so no goroutine outlives a burst of
// runs for long. os-mode threads do not use them: their goroutine ends
// with its OS thread.
var idleWorkers = make(chan *thread)

const workerIdle = 20 * time.Millisecond

// goThread runs t.main on an idle worker, or on a new one.
func goThread(t *thread) {
	select {
	case idleWorkers <- t:
	default:
		go worker(t)
	}
}

func worker(t *thread) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		t.main()
		t = nil // the run it belonged to may be collected meanwhile
		idle.Reset(workerIdle)
		select {
		case t = <-idleWorkers:
		case <-idle.C:
			return
		}
	}
}
