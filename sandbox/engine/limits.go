package engine

import (
	"fmt"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// Default limits; see Limits.
const (
	DefaultThreadsOS = 64
	DefaultThreads   = 10000
	DefaultEvents    = 1000000
	DefaultSteps     = 100000000
	DefaultOutput    = 64 << 10
)

// stepChunk is how many Starlark steps a thread takes from the run's
// shared budget at a time: large enough that refills are rare, small
// enough that the budget is shared fairly.
const stepChunk = 10000

func resolveLimits(l Limits, mode trace.Mode) Limits {
	if l.Threads <= 0 {
		l.Threads = DefaultThreads
		if mode == trace.ModeOS || mode == "" {
			l.Threads = DefaultThreadsOS
		}
	}
	if l.Events <= 0 {
		l.Events = DefaultEvents
	}
	if l.Steps == 0 {
		l.Steps = DefaultSteps
	}
	if l.Output <= 0 {
		l.Output = DefaultOutput
	}
	return l
}

// grant takes up to stepChunk steps from the shared budget; 0 means the
// budget is spent. A thread's Starlark stops when it reaches its granted
// steps, and onMaxSteps asks for more.
func (r *run) grant() uint64 {
	for {
		b := r.budget.Load()
		if b <= 0 {
			return 0
		}
		n := min(b, stepChunk)
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
	if n := r.grant(); n > 0 {
		th.SetMaxExecutionSteps(th.Steps + n)
		return
	}
	r.end(trace.StatusLimit, fmt.Sprintf("step limit reached: at most %d Starlark steps over all threads.", r.lim.Steps))
	th.Cancel(errCutoff.Error())
}
