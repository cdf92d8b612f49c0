package explore

import (
	"slices"

	"interleave/sandbox/trace"
)

// analyze finds the races of the execution just run and adds their
// reversals to the choices before them (Flanagan and Godefroid's DPOR,
// applied to the whole execution at its end). A race is between steps
// that conflict and may both be enabled at once: a lock races with the
// last lock of the mutex (not with its unlock, which must come first), a
// send with the last send or close of the channel, a receive with the
// last receive or close, and a join with nothing (the joined thread's end
// must come first). Happens-before is tracked
// with a vector clock per step: a step comes after its thread's previous
// step, after the spawn that created its thread, and after every earlier
// step it conflicts with (per object: the last write, and when it writes
// the reads since; for a step that conflicts with everything, every
// thread's last step).
func (d *dfsChooser) analyze() {
	if !d.reduce {
		return
	}
	nth := 1
	for _, t := range d.trace {
		nth = max(nth, t.th+1)
	}
	for _, f := range d.stack {
		for _, th := range f.n.enabled {
			nth = max(nth, th+1)
		}
	}
	a := d.analysis.reset(d, nth, len(d.trace))
	next := 0 // the next choice to check at its place in the trace
	for j := 0; j <= len(d.trace); j++ {
		for ; next < len(d.stack) && d.stack[next].n.at == j; next++ {
			n := d.stack[next].n
			if n.sleepers {
				continue
			}
			for k, th := range n.enabled {
				if th != d.stack[next].chosen {
					a.race(j, th, n.kinds[k], &n.pend[k])
				}
			}
		}
		if j < len(d.trace) {
			a.step(j)
		}
	}
}

type objState struct {
	lastWrite int
	reads     []int // since the last write
	lastLock  int
	lastSend  int
	lastRecv  int
	lastClose int
}

type analysis struct {
	d          *dfsChooser
	nth        int
	clocks     []int32 // step j's clock: clocks[j*nth:(j+1)*nth], entries are step index+1
	zero       []int32
	last       []int       // each thread's last step so far, or -1
	spawnedBy  map[int]int // thread -> the step that spawned it
	spawns     int
	objs       map[int]*objState
	lastGlobal int
}

// reset readies a for an execution of steps steps and nth threads,
// keeping the memory of the last (an analysis per execution made a
// tenth of the search's garbage).
func (a *analysis) reset(d *dfsChooser, nth, steps int) *analysis {
	a.d, a.nth, a.lastGlobal, a.spawns = d, nth, -1, 0
	a.clocks = resize(a.clocks, steps*nth)
	a.zero = resize(a.zero, nth)
	a.last = slices.Grow(a.last[:0], nth)[:nth]
	for i := range a.last {
		a.last[i] = -1
	}
	if a.spawnedBy == nil {
		a.spawnedBy, a.objs = map[int]int{}, map[int]*objState{}
	}
	clear(a.spawnedBy)
	clear(a.objs)
	return a
}

// resize returns s with n zeroes, reusing its memory.
func resize(s []int32, n int) []int32 {
	s = slices.Grow(s[:0], n)[:n]
	clear(s)
	return s
}

func (a *analysis) clock(j int) []int32 { return a.clocks[j*a.nth : (j+1)*a.nth] }

// before is the clock of thread th before its next step.
func (a *analysis) before(th int) []int32 {
	if l := a.last[th]; l >= 0 {
		return a.clock(l)
	}
	if s, ok := a.spawnedBy[th]; ok {
		return a.clock(s)
	}
	return a.zero
}

// step checks step j for races, then gives it its clock.
func (a *analysis) step(j int) {
	t := &a.d.trace[j]
	a.race(j, t.th, t.k, &t.fp)
	c := a.clock(j)
	copy(c, a.before(t.th))
	join := func(i int) {
		if i >= 0 {
			for k, v := range a.clock(i) {
				c[k] = max(c[k], v)
			}
		}
	}
	join(a.lastGlobal)
	if t.fp.global {
		for _, l := range a.last {
			join(l)
		}
		a.lastGlobal = j
		clear(a.objs) // every later step comes after this one
	} else {
		for _, ac := range t.fp.acc[:t.fp.n] {
			o := a.objs[ac.id]
			if o == nil {
				o = &objState{lastWrite: -1, lastLock: -1, lastSend: -1, lastRecv: -1, lastClose: -1}
				a.objs[ac.id] = o
			}
			join(o.lastWrite)
			switch t.k {
			case trace.Lock:
				o.lastLock = j
			case trace.Send:
				o.lastSend = j
			case trace.Recv:
				o.lastRecv = j
			case trace.Close:
				o.lastClose = j
			}
			if ac.write {
				for _, r := range o.reads {
					join(r)
				}
				o.lastWrite, o.reads = j, o.reads[:0]
			} else {
				o.reads = append(o.reads, j)
			}
		}
	}
	c[t.th] = int32(j + 1)
	a.last[t.th] = j
	if t.k == trace.Spawn {
		a.spawns++
		a.spawnedBy[a.spawns] = j // thread ids follow the order of spawns
	}
}

// race finds the last step before j that conflicts with thread th's step
// fp and does not happen before it, and reverses the two at the choice
// before that step.
func (a *analysis) race(j, th int, k trace.Kind, fp *footprint) {
	if k == trace.Join {
		return
	}
	c := a.before(th)
	best := -1
	consider := func(i int) {
		if i < 0 || i <= best {
			return
		}
		o := a.d.trace[i].th
		if o != th && int(c[o]) < i+1 {
			best = i
		}
	}
	if fp.global {
		for _, l := range a.last {
			consider(l)
		}
	} else {
		consider(a.lastGlobal)
		for i, ac := range fp.acc[:fp.n] {
			o := a.objs[ac.id]
			switch {
			case o == nil:
			case i == 0 && k == trace.Lock:
				consider(o.lastLock)
			case i == 0 && k == trace.Send:
				consider(o.lastSend)
				consider(o.lastClose)
			case i == 0 && k == trace.Recv:
				consider(o.lastRecv)
				consider(o.lastClose)
			default:
				consider(o.lastWrite)
				if ac.write {
					for _, r := range o.reads {
						consider(r)
					}
				}
			}
		}
	}
	if best < 0 || a.d.trace[best].node < 0 {
		return // no race, or the earlier step was the only one that could run
	}
	n := a.d.stack[a.d.trace[best].node].n
	fresh := a.d.fresh
	add := func(t int) {
		i := slices.Index(n.freshTodo, t)
		switch {
		case !slices.Contains(n.todo, t):
			n.todo = append(n.todo, t)
			if fresh {
				n.freshTodo = append(n.freshTodo, t)
			}
		case i >= 0 && !fresh:
			// An execution that does not count asks for it too.
			n.freshTodo = slices.Delete(n.freshTodo, i, i+1)
		}
	}
	if slices.Contains(n.enabled, th) {
		add(th)
		return
	}
	for _, t := range n.enabled {
		add(t)
	}
}
