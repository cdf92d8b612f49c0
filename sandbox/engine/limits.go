package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// A thread takes Starlark steps from the run's shared budget in chunks:
// firstChunk when it is created (so that ten thousand idle threads do not
// hold the whole budget), then chunks twice as large up to stepChunk,
// large enough that refills are rare. A finished thread gives back what
// it did not use.
const (
	firstChunk = 500
	stepChunk  = 10000
	simQuantum = 1000 // sim mode: steps between preemption points
)

// grant takes up to stepChunk steps from the shared budget; 0 means the
// budget is spent. A thread's Starlark stops when it reaches its granted
// steps, and onMaxSteps asks for more.
func (r *run) grant(want uint64) uint64 {
	for {
		b := r.budget.Load()
		if b <= 0 {
			return 0
		}
		n := min(b, int64(want))
		if r.budget.CompareAndSwap(b, b-n) {
			return uint64(n)
		}
	}
}

// onMaxSteps refills a thread's step allowance from the shared budget or
// ends the run with status limit.
func (r *run) onMaxSteps(th *starlark.Thread) {
	if r.ended.Load() {
		th.Cancel(errCutoff.Error())
		return
	}
	t, _ := current(th)
	want := uint64(stepChunk)
	if t != nil {
		want = min(max(2*t.granted, firstChunk), stepChunk)
	}
	if r.sim != nil {
		want = simQuantum
	}
	if n := r.grant(want); n > 0 {
		if t != nil {
			t.granted += n
		}
		th.SetMaxExecutionSteps(th.Steps + n)
		if r.sim != nil && t != nil {
			// Sim mode preempts pure Starlark loops here, at a point
			// that depends only on the step count.
			t.next = Op{}
			if err := r.sim.preempt(t, n); err != nil {
				th.Cancel(errCutoff.Error())
			}
		}
		return
	}
	r.end(trace.StatusLimit, r.stepLimitMessage())
	th.Cancel(errCutoff.Error())
}

func (r *run) stepLimitMessage() string {
	return fmt.Sprintf("step limit reached: at most %d Starlark steps over all threads.", r.lim.Steps)
}
