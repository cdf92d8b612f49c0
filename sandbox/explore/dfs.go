package explore

import (
	"slices"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// dfs is stateless depth-first search: every execution replays the
// choices of the one before up to its deepest choice with an alternative
// left, takes the next alternative there, and goes on to the end taking
// the first allowed candidate at each new choice. The running thread is
// tried first, then the others by id; choosing another thread while the
// running one could go on is a preemption, and an iteration with bound b
// allows at most b of them per execution. Bounds 0, 1, ... are searched
// in turn (so that bugs needing few preemptions are found first), as in
// CHESS's iterative context bounding: a choice whose remaining candidates
// need more preemptions is set aside with its prefix as a work item for
// the next bound, so no execution runs twice. When no work item is left,
// every execution was covered and the search is complete. A thread whose
// operation would wait (Pending.Blocks) is not a candidate unless every
// thread would: running it changes nothing but its place in a queue (or,
// right after yield_now, hands the choice back to the yielder, so one of
// them stays a candidate there).
//
// Reduction is by sleep sets (Godefroid 1996). After the subtree of
// thread p at a choice is explored, p "sleeps" in the subtrees of its
// later siblings, and stays asleep down a path as long as the steps taken
// are independent of p's next step; a sleeping thread is not chosen, as
// every execution that starts with it was covered with p first. Two steps
// are independent when they belong to different threads and touch no
// common object, or only read it (two gets of one cell); thread-local
// steps touch nothing. What a step touches is known from its pending
// operation and from what it did (printing touches the output, a thread's
// last step touches what joiners wait for). Between two choices, forced
// steps may run: they count as one transition touching everything they
// touched. While any thread sleeps on the virtual clock, the order of
// steps decides who wakes when, so nothing is assumed independent there.
// Sleep sets never skip a class of equivalent executions; combined with
// a preemption bound they may skip some within the bound (a class's only
// explored member may need more preemptions), which is why only a search
// the bound did not cut claims completeness.
func (x *explorer) dfs() {
	d := &dfsChooser{reduce: !x.opts.NoReduction}
	items := []workItem{{}} // the root: no prefix
	var ch counter
	for b := 0; b <= *x.opts.Preemptions; b++ {
		x.bound, d.bound = b, b
		for _, it := range items {
			for ok := d.start(it); ok; ok = d.backtrack() {
				if !x.more() {
					return
				}
				ch.reset(d)
				if res, ok := x.exec(x.req, &ch, d.reduce); ok {
					x.file(res, &ch)
				}
			}
		}
		items, d.deferred = d.deferred, nil
		if len(items) == 0 {
			x.complete = !x.fatal
			return
		}
	}
}

// workItem is a choice whose remaining candidates need more preemptions
// than the bound allowed: the next iteration explores them (as CHESS's
// iterative context bounding does), below the same prefix.
type workItem struct {
	path []int // the choices leading to it
	n    *node
}

// access is one object a step touched.
type access struct {
	id    int
	write bool
}

// footprint is what one step (or a run of forced steps) touched.
type footprint struct {
	th     int
	global bool // conflicts with everything
	n      int
	acc    [3]access
}

func (f *footprint) add(id int, write bool) {
	if f.n == len(f.acc) {
		f.global = true
		return
	}
	f.acc[f.n] = access{id, write}
	f.n++
}

func footprintOf(s *engine.Step) footprint {
	f := footprint{th: s.Th}
	switch s.Op.ID {
	case 0:
	case engine.ObjGlobal:
		f.global = true
	default:
		f.add(s.Op.ID, s.Op.Write)
	}
	if s.Printed {
		f.add(engine.ObjOutput, true)
	}
	if s.Ended {
		f.add(engine.ThreadObject(s.Th), true)
	}
	return f
}

// writes reports whether the step changed anything another thread sees.
func (f *footprint) writes() bool {
	if f.global {
		return true
	}
	for _, a := range f.acc[:f.n] {
		if a.write {
			return true
		}
	}
	return false
}

// conflicts reports whether the two steps may not commute.
func (f *footprint) conflicts(g *footprint) bool {
	if f.th == g.th || f.global || g.global {
		return true
	}
	for _, a := range f.acc[:f.n] {
		for _, b := range g.acc[:g.n] {
			if a.id == b.id && (a.write || b.write) {
				return true
			}
		}
	}
	return false
}

// entry is a thread and the footprint of its next step.
type entry struct {
	th int
	fp footprint
}

// node is a choice on the current path.
type node struct {
	current  int // the running thread, or -1
	sleepers bool
	preempts int // preemptions on the path before this choice
	cands    []int
	sleep    []entry // asleep on arrival
	done     []entry // explored already
	deferred []int   // candidates beyond the bound
	chosen   int
	fp       footprint // of chosen's step, once known
	known    bool
}

// dfsChooser is the chooser of dfs: the current path, and the work left
// for the next bound.
type dfsChooser struct {
	stack    []*node
	floor    int // stack[:floor] is a work item's fixed prefix
	bound    int
	reduce   bool
	deferred []workItem
	spin     spinDetector
}

// spinDetector finds a wasted turn of a spin loop: a thread that yields
// again having only read since its last yield, while no thread wrote
// anything. That turn read what the one before read and changed nothing
// (but the thread's own locals, such as a count of turns), so the
// execution is the one without it, which the search explores where it
// chose the thread. Without this, a thread waiting in a loop for another
// makes the executions endless.
type spinDetector struct {
	writes int            // steps that wrote, in this execution
	last   map[int]spinAt // by thread: since its last yield
}

type spinAt struct {
	writes int  // writes when it yielded
	pure   bool // it has only read since
}

// observe follows the steps since the last choice; true when one of them
// begins a wasted turn's yield.
func (s *spinDetector) observe(c *engine.Choice) bool {
	if c.N == 0 || s.last == nil {
		s.writes = 0
		if s.last == nil {
			s.last = map[int]spinAt{}
		}
		clear(s.last)
	}
	spun := false
	for i := range c.Steps {
		st := &c.Steps[i]
		at, seen := s.last[st.Th]
		if st.Op.K == trace.Yield {
			if seen && at.pure && at.writes == s.writes && c.Sleeping == 0 {
				spun = true
			}
			s.last[st.Th] = spinAt{writes: s.writes, pure: true}
			continue
		}
		fp := footprintOf(st)
		if fp.writes() {
			s.writes++
			if seen {
				at.pure = false
				s.last[st.Th] = at
			}
		}
	}
	return spun
}

// start sets up the first execution of a work item; false if it has none
// within the bound (it is deferred again).
func (d *dfsChooser) start(it workItem) bool {
	d.stack = d.stack[:0]
	for _, th := range it.path {
		d.stack = append(d.stack, &node{chosen: th})
	}
	d.floor = len(d.stack)
	if it.n == nil {
		return true // the root: the first choice makes the first node
	}
	n := it.n
	n.cands, n.deferred, n.known = n.deferred, nil, false
	d.stack = append(d.stack, n)
	if n.chosen = d.pick(n); n.chosen < 0 {
		d.defer1(n)
		return false
	}
	return true
}

// defer1 saves n's candidates beyond the bound for the next iteration.
func (d *dfsChooser) defer1(n *node) {
	if len(n.deferred) == 0 {
		return
	}
	path := make([]int, 0, len(d.stack)-1)
	for _, p := range d.stack[:len(d.stack)-1] {
		path = append(path, p.chosen)
	}
	d.deferred = append(d.deferred, workItem{path: path, n: n})
}

func (d *dfsChooser) Choose(c *engine.Choice) int {
	i := c.N
	if spun := d.spin.observe(c); spun && i >= len(d.stack) {
		return engine.Abandon
	}
	if i < len(d.stack) {
		return d.stack[i].chosen
	}
	n := &node{sleepers: c.Sleeping > 0}
	if i > 0 {
		p := d.stack[i-1]
		if len(c.Steps) > 0 && c.Steps[0].Th == p.chosen {
			p.fp, p.known = footprintOf(&c.Steps[0]), true
		}
		n.preempts = p.preempts + p.cost(p.chosen)
		if d.reduce && !p.sleepers {
			var ok bool
			if n.sleep, ok = d.propagate(p, c.Steps); !ok {
				return engine.Abandon
			}
		}
	}
	// A thread whose operation would wait is not enabled: running it
	// only makes it wait, and it can try again once it could go on, so
	// it is a candidate only when every thread would wait (then one of
	// them must, and the run ends in a deadlock).
	n.current = enabledCurrent(c)
	if n.current >= 0 {
		n.cands = append(n.cands, n.current)
	}
	for _, r := range c.Runnable {
		if r.Th != n.current && !r.Blocks {
			n.cands = append(n.cands, r.Th)
		}
	}
	for _, r := range c.Runnable {
		// After yield_now, a thread that would wait at once hands the
		// choice back to the yielder: keep one such way back.
		if len(n.cands) == 0 || (c.Yield && r.Blocks) {
			n.cands = append(n.cands, r.Th)
			break
		}
	}
	th := d.pick(n)
	if th < 0 {
		return engine.Abandon
	}
	n.chosen = th
	d.stack = append(d.stack, n)
	return th
}

// propagate is the sleep set below p: the threads asleep at p or
// explored there before its chosen one, as long as the steps run since
// p's choice are independent of their next step. A step of a thread
// still asleep means the path so far is equivalent to one explored
// already: ok is then false.
func (d *dfsChooser) propagate(p *node, steps []engine.Step) (sleep []entry, ok bool) {
	sleep = append(append(sleep, p.sleep...), p.done...)
	for i := range steps {
		if i > 0 && has(sleep, steps[i].Th) {
			return nil, false
		}
		fp := footprintOf(&steps[i])
		kept := sleep[:0]
		for _, e := range sleep {
			if !e.fp.conflicts(&fp) {
				kept = append(kept, e)
			}
		}
		sleep = kept
	}
	return sleep, true
}

// enabledCurrent is the running thread if it could go on without
// waiting, else -1: choosing another thread then preempts nothing.
func enabledCurrent(c *engine.Choice) int {
	for _, r := range c.Runnable {
		if r.Th == c.Current && !r.Blocks {
			return r.Th
		}
	}
	return -1
}

func (n *node) cost(th int) int {
	if n.current >= 0 && th != n.current {
		return 1
	}
	return 0
}

// pick returns the first candidate of n not yet explored, not asleep and
// within the bound, or -1.
func (d *dfsChooser) pick(n *node) int {
	for _, th := range n.cands {
		if has(n.sleep, th) || has(n.done, th) {
			continue
		}
		if n.preempts+n.cost(th) > d.bound {
			if !slices.Contains(n.deferred, th) {
				n.deferred = append(n.deferred, th)
			}
			continue
		}
		return th
	}
	return -1
}

func has(es []entry, th int) bool {
	for _, e := range es {
		if e.th == th {
			return true
		}
	}
	return false
}

// backtrack moves to the next execution: the deepest choice with an
// alternative left takes it. It returns false when none is left above the
// work item's prefix.
func (d *dfsChooser) backtrack() bool {
	for len(d.stack) > d.floor {
		n := d.stack[len(d.stack)-1]
		if n.chosen >= 0 {
			fp := n.fp
			if !n.known {
				// The run ended before the step's footprint was
				// reported: assume it touched everything.
				fp = footprint{th: n.chosen, global: true}
			}
			n.done = append(n.done, entry{n.chosen, fp})
		}
		n.known = false
		if n.chosen = d.pick(n); n.chosen >= 0 {
			return true
		}
		d.defer1(n)
		d.stack = d.stack[:len(d.stack)-1]
	}
	return false
}
