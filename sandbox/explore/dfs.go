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
// every execution was covered and the search is complete. Work items
// take memory in proportion to the executions run (about 46 bytes per
// choice of their prefixes: a search of 40,000 executions of lost-update
// 2 x 10 held 224 MiB in them, and the sandbox gives 256), so past
// keepFrames the search stops keeping them: each bound from then on
// starts again from the root and keeps only its current path, running
// the lower bounds' executions again uncounted (see isFresh). A thread whose
// operation would wait (Pending.Blocks) is not a candidate unless every
// thread would: running it changes nothing but its place in a queue (or,
// right after yield_now, hands the choice back to the yielder, so one of
// them stays a candidate there).
//
// Reduction is dynamic partial-order reduction (Flanagan and Godefroid,
// POPL 2005) with sleep sets (Godefroid 1996). A choice starts with one
// candidate to explore; after each execution, every step is compared with
// the earlier steps of other threads that it conflicts with and that do
// not happen before it (vector clocks over the conflicts, spawn and
// join): for such a race, the choice before the earlier step gets the
// later step's thread to explore too (or every candidate, if that thread
// could not run there). Threads that never conflict are never permuted.
// On top of that, after the subtree of thread p at a choice is explored,
// p "sleeps" in the subtrees of its later siblings, and stays asleep down
// a path as long as the steps taken are independent of p's next step; a
// sleeping thread is not chosen, as every execution that starts with it
// was covered with p first. Two steps are independent when they belong
// to different threads and touch no common object, or only read it (two
// gets of one cell); thread-local steps touch nothing. What a step
// touches is known from its pending operation and from what it did
// (printing touches the output, a thread's last step touches what joiners
// wait for, the step that ends the run touches everything). While any
// thread sleeps on the virtual clock, the order of steps decides who
// wakes when, so nothing is assumed independent there: every candidate is
// explored. A thread that yields again having only read since its last
// yield, while nobody wrote, wasted a turn of a spin loop: that
// execution equals the one without the turn, and is abandoned (the
// thread's own locals, such as a count of turns, are the one thing this
// can hide). Combined with a preemption bound, reduction may skip a
// class of executions within the bound (its explored member may need more
// preemptions), which is why only a search the bound did not cut claims
// completeness.
func (x *explorer) dfs() {
	d := &dfsChooser{reduce: !x.opts.NoReduction, keepMax: x.keepFrames}
	if d.keepMax == 0 {
		d.keepMax = keepFrames
	}
	d.queue = []workItem{{}} // the root: no prefix
	var ch counter
	for b := 0; b <= *x.opts.Preemptions; b++ {
		x.bound, d.bound = b, b
		d.final = b == *x.opts.Preemptions || d.restart
		d.cut = false
		var before tally
		if !d.restart {
			before = x.tally()
		}
		for len(d.queue) > 0 && !d.overflow {
			it := d.queue[0]
			d.queue[0] = workItem{} // not kept past its turn
			d.queue = d.queue[1:]
			d.kept -= len(it.path)
			for ok := d.start(it); ok && !d.overflow; ok = d.backtrack() {
				if !x.more() {
					return
				}
				d.reset()
				ch.reset(d)
				res, ok := x.exec(x.req, &ch, true)
				d.fresh = d.isFresh(ch.preemptions)
				if ok && d.fresh {
					x.file(res, &ch)
				}
				d.analyze()
			}
			d.requeuePrefix()
		}
		if d.overflow {
			// This bound again, from the root, uncounting what it
			// counted so far (its executions run again).
			x.rollback(before)
			d.toRestart()
			b--
			continue
		}
		d.queue, d.deferred = d.deferred, nil
		if d.restart && d.cut {
			d.queue = []workItem{{}}
		}
		if len(d.queue) == 0 && !d.cut {
			x.complete = !x.fatal
			return
		}
	}
}

// keepFrames is how many choices the work items of dfs may hold (about
// 23 MiB) before it stops keeping them.
const keepFrames = 1 << 19

// toRestart drops the work items: from now on each bound searches from
// the root.
func (d *dfsChooser) toRestart() {
	d.restart, d.overflow = true, false
	d.queue, d.deferred, d.kept = []workItem{{}}, nil, 0
	d.stack = d.stack[:0]
}

// isFresh reports whether the execution just run counts. Until the work
// items overflow, every execution does (none runs twice). After that,
// bound b's search from the root runs bound b-1's executions again on its
// way (a stateless search reaches a choice only by running a path through
// it), and counts those that are fresh: that need all b preemptions, or
// take a choice that only such executions asked for (a race found in one
// of them). Without reduction this counts each execution once. With it,
// the sleep sets of bound b (larger, by the choices it explored beyond
// b-1) may reach a lower bound's execution by another path and count it
// twice (on the scenarios of TestDFSRestartFindsTheSame the counts are
// the same as with the work items kept); every class it covers counts.
func (d *dfsChooser) isFresh(preempts int) bool {
	if !d.restart || d.bound == 0 || preempts == d.bound {
		return true
	}
	return len(d.stack) > 0 && d.stack[len(d.stack)-1].fresh
}

// workItem is a choice to explore (again) below a fixed prefix: one whose
// remaining candidates needed more preemptions than the last bound (as in
// CHESS's iterative context bounding), or one that a race found later
// gave a new candidate.
type workItem struct {
	path []frame
	n    *node
}

// frame is a choice on the current path and the thread chosen there.
type frame struct {
	n      *node
	chosen int
	fresh  bool // this choice or one above it is fresh (see isFresh)
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
	f := footprint{th: s.Th, global: s.Final}
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

// node is a choice of the search tree.
type node struct {
	enabled  []int       // the candidates, in the order tried: the running thread first
	pend     []footprint // their pending operations, by index in enabled
	kinds    []trace.Kind
	current  int       // the running thread, if it could go on; else -1
	sleepers bool      // threads asleep on the clock: no reduction here
	preempts int       // preemptions on the path before this choice
	at       int       // where the steps after this choice begin in the trace
	todo     []int     // candidates to explore (DPOR's backtrack set)
	sleep    []entry   // asleep on arrival
	done     []entry   // explored already
	deferred []int     // candidates beyond the bound
	chosen   int       // the candidate being explored, or -1
	fp       footprint // of the chosen thread's step, once known
	known    bool
	queued   bool // waiting in a work item
	// freshTodo: in todo only by races in fresh executions (see isFresh).
	freshTodo []int
}

// traced is one step of the current execution.
type traced struct {
	th   int
	fp   footprint
	k    trace.Kind
	node int // the choice that ran it, if it was the chosen thread's first step; else -1
}

// dfsChooser is the chooser of dfs: the current path and execution, and
// the work left.
type dfsChooser struct {
	stack    []frame
	floor    int // stack[:floor] is a work item's fixed prefix
	bound    int
	reduce   bool
	queue    []workItem // for this bound
	deferred []workItem // for the next
	// final: what lies beyond this bound is only noted (cut), not kept,
	// as it is the last bound or the search restarts each bound from the
	// root: a long search at its last bound would otherwise hold a path
	// for every choice it cut, and run out of memory.
	final, cut bool
	// kept: the choices the work items hold; past keepMax they overflow
	// and the search restarts from the root at each bound (restart).
	kept, keepMax     int
	overflow, restart bool
	fresh             bool // the execution just run counts (see isFresh)
	spin              spinDetector
	trace             []traced
	analysis          analysis // reused by analyze
	free              []*node  // for newNode (see recycle)
	lastN             int      // the last choice of this execution
}

func (d *dfsChooser) reset() {
	d.trace, d.lastN = d.trace[:0], -1
	d.spin.reset()
}

// record appends the steps run after choice k.
func (d *dfsChooser) record(steps []engine.Step, k int) {
	for i := range steps {
		st := &steps[i]
		t := traced{th: st.Th, fp: footprintOf(st), k: st.Op.K, node: -1}
		if i == 0 && k >= 0 && k < len(d.stack) {
			if n := d.stack[k].n; st.Th == d.stack[k].chosen {
				t.node = k
				if k >= d.floor {
					n.fp, n.known = t.fp, true
				}
			}
		}
		d.trace = append(d.trace, t)
	}
}

// Finish records the steps after the last choice.
func (d *dfsChooser) Finish(steps []engine.Step) { d.record(steps, d.lastN) }

func (d *dfsChooser) Choose(c *engine.Choice) int {
	i := c.N
	d.lastN = i
	d.record(c.Steps, i-1)
	if spun := d.spin.observe(c); spun && i >= len(d.stack) {
		return engine.Abandon
	}
	if i < len(d.stack) {
		return d.stack[i].chosen
	}
	n := d.newNode()
	n.sleepers, n.at, n.chosen = c.Sleeping > 0, len(d.trace), -1
	if i > 0 {
		p := d.stack[i-1]
		n.preempts = p.n.preempts + p.n.cost(p.chosen)
		if d.reduce && !p.n.sleepers {
			var ok bool
			if n.sleep, ok = propagate(p.n, c.Steps, n.sleep); !ok {
				d.recycle(n)
				return engine.Abandon
			}
		}
	}
	n.candidates(c)
	if !d.reduce || n.sleepers {
		n.todo = append(n.todo, n.enabled...)
	} else {
		for _, th := range n.enabled {
			if !has(n.sleep, th) {
				n.todo = append(n.todo, th)
				break
			}
		}
	}
	n.chosen = d.pick(n)
	d.stack = append(d.stack, frame{n: n, chosen: n.chosen, fresh: i > 0 && d.stack[i-1].fresh})
	if n.chosen < 0 {
		return engine.Abandon
	}
	return n.chosen
}

// candidates fills in who may run at n, the running thread first. A
// thread whose lock, send, receive or other wait would wait now is a
// candidate too: running it is not a no-op, since it takes its place in
// the object's queue (a mutex's waiters, a channel's senders or
// receivers), and the order of a queue decides who goes on first later.
// Leaving such threads out made dfs call a search complete that had
// missed executions (the stolen-wakeup challenge's failure). Only a join
// that would wait is left out: every joiner goes on when the thread
// ends, whatever their order, so running it only makes it wait; it is a
// candidate when every thread would wait (then one must, and the run
// ends in a deadlock), or right after yield_now, where running it hands
// the choice back to the yielder.
func (n *node) candidates(c *engine.Choice) {
	n.current = enabledCurrent(c)
	// Sized once: appending from nil grew each slice twice per choice.
	k := len(c.Runnable)
	n.enabled, n.pend, n.kinds = slices.Grow(n.enabled, k), slices.Grow(n.pend, k), slices.Grow(n.kinds, k)
	add := func(r *engine.Pending) {
		n.enabled = append(n.enabled, r.Th)
		n.pend = append(n.pend, footprintOf(&engine.Step{Th: r.Th, Op: r.Op}))
		n.kinds = append(n.kinds, r.Op.K)
	}
	for i := range c.Runnable {
		if c.Runnable[i].Th == n.current {
			add(&c.Runnable[i])
		}
	}
	idle := func(r *engine.Pending) bool { return r.Blocks && r.Op.K == trace.Join }
	for i := range c.Runnable {
		if r := &c.Runnable[i]; r.Th != n.current && !idle(r) {
			add(r)
		}
	}
	for i := range c.Runnable {
		if r := &c.Runnable[i]; r.Th != n.current && idle(r) && (len(n.enabled) == 0 || c.Yield) {
			add(r)
			break
		}
	}
}

// propagate is the sleep set below p, in buf's memory: the threads
// asleep at p or explored there before its chosen one, as long as the
// steps run since p's choice are independent of their next step. A step
// of a thread still asleep means the path so far is equivalent to one
// explored already: ok is then false.
func propagate(p *node, steps []engine.Step, buf []entry) (sleep []entry, ok bool) {
	sleep = append(append(buf[:0], p.sleep...), p.done...)
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

// pick returns the first candidate of n to explore that is not explored
// yet, not asleep and within the bound, or -1; those beyond the bound are
// deferred.
func (d *dfsChooser) pick(n *node) int {
	for _, th := range n.enabled {
		if !slices.Contains(n.todo, th) || has(n.sleep, th) || has(n.done, th) {
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

// pending reports whether n has a candidate to explore that is neither
// explored nor deferred.
func (n *node) pending() bool {
	for _, th := range n.todo {
		if !has(n.sleep, th) && !has(n.done, th) && !slices.Contains(n.deferred, th) {
			return true
		}
	}
	return false
}

func has(es []entry, th int) bool {
	for _, e := range es {
		if e.th == th {
			return true
		}
	}
	return false
}

// start sets up the first execution of a work item; false if it has none
// within the bound.
func (d *dfsChooser) start(it workItem) bool {
	d.stack = append(d.stack[:0], it.path...)
	d.floor = len(d.stack)
	if it.n == nil {
		return true // the root: the first choice makes the first node
	}
	n := it.n
	n.queued, n.deferred, n.known = false, nil, false
	n.chosen = d.pick(n)
	d.stack = append(d.stack, frame{n: n, chosen: n.chosen, fresh: d.freshChoice(len(d.stack), n)})
	if n.chosen < 0 {
		d.defer1()
		d.stack = d.stack[:len(d.stack)-1]
		return false
	}
	return true
}

// defer1 saves the last node's candidates beyond the bound for the next
// iteration.
func (d *dfsChooser) defer1() {
	k := len(d.stack) - 1
	if n := d.stack[k].n; len(n.deferred) > 0 {
		if d.final {
			d.cut = true
			return
		}
		d.keep(&d.deferred, k, n)
	}
}

// keep adds a work item for n with the first k choices of the stack as
// its prefix, unless the work items would hold more than keepMax choices:
// then they overflow.
func (d *dfsChooser) keep(items *[]workItem, k int, n *node) {
	if d.kept+k > d.keepMax {
		d.overflow = true
		return
	}
	d.kept += k
	*items = append(*items, workItem{path: slices.Clone(d.stack[:k]), n: n})
}

// freshChoice reports whether choosing n.chosen at depth k makes the path
// fresh (see isFresh).
func (d *dfsChooser) freshChoice(k int, n *node) bool {
	return (k > 0 && d.stack[k-1].fresh) || slices.Contains(n.freshTodo, n.chosen)
}

// backtrack moves to the next execution: the deepest choice with a
// candidate left takes it. It returns false when none is left above the
// work item's prefix.
func (d *dfsChooser) backtrack() bool {
	for len(d.stack) > d.floor {
		f := &d.stack[len(d.stack)-1]
		n := f.n
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
			f.chosen = n.chosen
			f.fresh = d.freshChoice(len(d.stack)-1, n)
			return true
		}
		d.defer1()
		d.recycle(n)
		d.stack = d.stack[:len(d.stack)-1]
	}
	return false
}

// newNode returns an empty node, recycled if one is free.
func (d *dfsChooser) newNode() *node {
	k := len(d.free)
	if k == 0 {
		return &node{}
	}
	n := d.free[k-1]
	d.free = d.free[:k-1]
	*n = node{enabled: n.enabled[:0], pend: n.pend[:0], kinds: n.kinds[:0], todo: n.todo[:0],
		sleep: n.sleep[:0], done: n.done[:0], deferred: n.deferred[:0], freshTodo: n.freshTodo[:0]}
	return n
}

// recycle frees a node the search is done with, once it restarts from
// the root at each bound: until then, work items may hold any node.
func (d *dfsChooser) recycle(n *node) {
	if d.restart {
		d.free = append(d.free, n)
	}
}

// requeuePrefix queues the choices of the finished work item's prefix to
// which races gave new candidates.
func (d *dfsChooser) requeuePrefix() {
	for k := d.floor - 1; k >= 0; k-- {
		if n := d.stack[k].n; !n.queued && n.pending() {
			n.queued = true
			d.keep(&d.queue, k, n)
		}
	}
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

func (s *spinDetector) reset() {
	s.writes = 0
	if s.last == nil {
		s.last = map[int]spinAt{}
	}
	clear(s.last)
}
