package trace

// Tally follows a run's events where they arrive and keeps the result
// they tell of so far: the threads with their event counts and end
// states, and the events seen. It is the result of a run whose own never
// came: its child or its runner died, or a limit cut it short.
type Tally struct {
	res   Result
	index map[int]int // thread id to its place in res.Threads
}

// NewTally starts the tally of a run described by head (its scenario,
// mode, procs, seed and params): main running, nothing counted.
func NewTally(head Result) Tally {
	head.Checks = []CheckResult{}
	head.Threads = []Thread{{ID: 0, Name: "main", Parent: -1, State: ThreadRunning}}
	head.Cells = []CellValue{}
	return Tally{res: head, index: map[int]int{0: 0}}
}

// Observe counts a batch of events.
func (t *Tally) Observe(evs []Event) {
	for i := range evs {
		e := &evs[i]
		t.res.Stats.Events++
		if e.K == Spawn && e.V.Kind == VInt {
			id := int(e.V.Int)
			if _, ok := t.index[id]; !ok {
				t.index[id] = len(t.res.Threads)
				t.res.Threads = append(t.res.Threads, Thread{ID: id, Name: e.Obj, Parent: e.Th, State: ThreadRunning})
			}
		}
		if j, ok := t.index[e.Th]; ok {
			th := &t.res.Threads[j]
			th.Events++
			if st, ok := EndState(e.K); ok {
				th.State = st
			}
		}
	}
}

// Stats returns the run's statistics so far, for the caller to add the
// times it measures.
func (t *Tally) Stats() *Stats { return &t.res.Stats }

// Result returns the result so far with its status and message; its
// threads are its own, so the tally may go on.
func (t *Tally) Result(status Status, msg string) Result {
	r := t.res
	r.Threads = append([]Thread(nil), t.res.Threads...)
	r.Status, r.Message = status, msg
	return r
}
