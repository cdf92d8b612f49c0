package engine

import (
	"fmt"
	"runtime"

	"go.starlark.net/starlark"

	"interleave/sandbox/trace"
)

// tstate is where a scenario thread is in its life.
type tstate uint8

const (
	stNew      tstate = iota // created; its goroutine has not run it yet
	stRunning                // running Starlark or a builtin
	stBlocked                // waiting in the wait-for graph
	stSleeping               // in sleep(): not blocked
	stEnded                  // its function returned
	stPanicked               // its function failed
	stCutoff                 // the run ended while it was alive
)

func (s tstate) finished() bool { return s >= stEnded }

// thread is one scenario thread.
type thread struct {
	r      *run
	id     int
	parent int
	name   string
	sth    *starlark.Thread
	fn     starlark.Callable
	args   starlark.Tuple
	kwargs []starlark.Tuple
	handle *handle

	// Guarded by r.mu.
	state       tstate
	atEnd       tstate // state when the run cut it off
	wait        waitEdge
	result      starlark.Value
	panicMsg    string
	panicLine   int
	joiners     []*thread
	extraEvents int // events recorded on its behalf (cutoff)
	ownEvents   int // events, published when its goroutine ends
	chanVal     starlark.Value
	chanNum     uint64 // the number of the message in chanVal
	chanDone    bool   // a channel peer completed this thread's send or recv
	cutRecorded bool
	parkToken   bool        // park(): Rust's token, set by unpark
	scopes      [][]*thread // scope(): threads spawned in each open scope

	// Owned by the thread's goroutine.
	events  int
	granted uint64 // Starlark steps taken from the run's budget
	lastKey uint64 // green mode: the OS thread key of the last event
	lastTid int
	tid     int
	rseq    *rseqArea // the rseq area of the OS thread it ran on last
	rseqTid int       // the tid of that thread

	// Sim mode, for the chooser: the operation the current step began
	// with, the one the next step begins with, and whether the current
	// step printed. Owned by the baton holder.
	cur, next Op
	printed   bool

	wake   chan struct{} // real modes: unpark
	baton  chan struct{} // sim mode: the right to run
	wakeAt int64         // sim mode: virtual wake-up time
	sink   uint64        // work() result, so the loop is not optimized away
	ranNs  int64         // real modes: how long the last work() ran, -1 if unknown
	spanNs int64         // nanotime at which the last sleep or work began
	spanAt int64         // event clock at which busy ended, -1 if it did not
}

// newThread creates a thread; r.mu is held.
func (r *run) newThread(parent *thread, name string, fn starlark.Callable, args starlark.Tuple, kwargs []starlark.Tuple) *thread {
	t := &thread{r: r, id: len(r.threads), name: name, fn: fn, args: args, kwargs: kwargs}
	t.parent = -1 // main has no parent
	if parent != nil {
		t.parent = parent.id
	}
	if t.name == "" {
		t.name = fmt.Sprintf("thread-%d", t.id)
	}
	t.sth = &starlark.Thread{Name: t.name, Print: printHook}
	t.sth.SetLocal(threadLocalKey, t)
	t.sth.OnMaxSteps = r.onMaxSteps
	t.granted = r.grant(min(firstChunk, simQuantum))
	t.sth.SetMaxExecutionSteps(max(t.granted, 1))
	t.handle = newHandle(t)
	if r.sim != nil {
		t.cur = Op{K: trace.Start, Obj: t.name}
		t.next = t.cur
		t.baton = make(chan struct{}, 1)
	} else {
		t.wake = make(chan struct{}, 1)
	}
	r.threads = append(r.threads, t)
	return t
}

const threadLocalKey = "interleave.thread"

// current returns the scenario thread running a builtin.
func current(th *starlark.Thread) (*thread, error) {
	t, ok := th.Local(threadLocalKey).(*thread)
	if !ok {
		return nil, errTopLevel
	}
	return t, nil
}

var errTopLevel = &scriptError{msg: "threads, cells, mutexes and channels exist only while main runs: call this inside main or a function it calls", isArg: true}

// startThread starts t's goroutine; r.mu is held.
func (r *run) startThread(t *thread) {
	r.live++
	r.wg.Add(1)
	if r.sim != nil {
		r.sim.add(t)
	}
	if r.mode == trace.ModeOS {
		go t.main()
		return
	}
	goThread(t)
}

func (t *thread) main() {
	r := t.r
	defer r.wg.Done()
	defer t.leaveOSThread()
	if err := r.sched.enter(t); err != nil {
		t.unwind()
		return
	}
	r.mu.Lock()
	if t.state == stNew {
		t.state = stRunning
	}
	r.mu.Unlock()
	line := 0
	if f, ok := t.fn.(*starlark.Function); ok {
		line = int(f.Position().Line)
	}
	t.rec(trace.Start, t.name, trace.Value{}, line)
	v, err := starlark.Call(t.sth, t.fn, t.args, t.kwargs)
	t.finish(v, err)
}

// finish records how the thread ended, wakes its joiners and, for main,
// ends the run.
func (t *thread) finish(v starlark.Value, err error) {
	r := t.r
	r.stepsUsed.Add(int64(t.sth.Steps))
	if t.granted > t.sth.Steps {
		r.budget.Add(int64(t.granted - t.sth.Steps)) // give back what it did not use
	}
	if r.ended.Load() {
		t.unwind()
		return
	}
	var msg string
	var line int
	var se *scriptError
	if err != nil {
		se = r.runtimeError(err)
		msg, line = se.msg, se.line
		t.rec(trace.Panic, "", trace.Str(msg), line)
	} else {
		if v == nil {
			v = starlark.None
		}
		freeze(v)
		t.rec(trace.End, "", toValue(v), 0)
	}
	r.mu.Lock()
	if r.ended.Load() {
		t.recordCutoff(true)
		t.ownEvents = t.events
		r.mu.Unlock()
		return
	}
	t.ownEvents = t.events
	if err != nil {
		t.state, t.panicMsg, t.panicLine = stPanicked, msg, line
	} else {
		t.state, t.result = stEnded, v
	}
	r.live--
	if t.id == 0 {
		// main's end is the run's end, in the same critical section, so
		// that no thread can see main gone and the run still going.
		r.finishMainLocked(se)
		r.mu.Unlock()
		return
	}
	for _, j := range t.joiners {
		r.unpark(j)
	}
	t.joiners = nil
	if r.live > 0 && r.blocked == r.live {
		r.globalDeadlock()
	}
	r.mu.Unlock()
	r.sched.exit(t)
}

// unwind ends the goroutine of a thread that the run has cut off: it
// records the thread's cutoff event itself, so that the event comes after
// every other event of its lane.
func (t *thread) unwind() {
	t.r.mu.Lock()
	t.recordCutoff(true)
	t.ownEvents = t.events
	t.r.mu.Unlock()
}

// cutoff marks t as cut off by the end of the run; r.mu is held. In sim
// mode the event is recorded at once, in thread order, so that runs stay
// identical; in the real modes the thread records it as it unwinds.
func (t *thread) cutoff() {
	t.atEnd = t.state
	if t.state == stBlocked {
		t.r.blocked--
	}
	t.state = stCutoff
	t.r.live--
	if t.r.sim != nil {
		t.recordCutoff(false)
	}
}

// recordCutoff records t's cutoff event once, from its own goroutine
// (self) or on its behalf; r.mu is held.
func (t *thread) recordCutoff(self bool) {
	if t.state != stCutoff || t.cutRecorded {
		return
	}
	t.cutRecorded = true
	r := t.r
	if !self {
		t.extraEvents++
		r.recordFor(t, trace.Cutoff, "", trace.Str(r.cutReason), 0)
		return
	}
	t.events++
	s, seq := r.rec.reserve()
	if s == nil {
		return
	}
	s.ev = trace.Event{Seq: seq, T: r.now(), Th: t.id, K: trace.Cutoff, V: trace.Str(r.cutReason)}
	if r.mode == trace.ModeOS {
		s.ev.Tid, s.ev.CPU, s.ev.HasOS = t.tid, t.cpu(), true
	} else if r.mode == trace.ModeGreen {
		s.ev.Tid, s.ev.CPU, s.ev.HasOS = t.osTid(), t.cpu(), true
	}
	r.rec.publish(s, seq)
}

// info describes t for the result; r.mu is held.
func (t *thread) info() trace.Thread {
	th := trace.Thread{ID: t.id, Name: t.name, Parent: t.parent, Panic: t.panicMsg, Events: t.ownEvents + t.extraEvents}
	switch t.state {
	case stEnded:
		th.State = trace.ThreadEnded
	case stPanicked:
		th.State = trace.ThreadPanicked
	case stCutoff:
		if t.atEnd == stBlocked {
			th.State = trace.ThreadBlocked
		} else {
			th.State = trace.ThreadCutoff
		}
	default:
		th.State = trace.ThreadRunning
	}
	return th
}

// block makes t wait on the edge e until another thread unparks it: it
// adds the edge to the wait-for graph, ends the run if that closes a
// cycle or leaves no thread able to run, and parks. r.mu is held on entry
// and on return; the caller re-checks its condition after.
func (t *thread) block(e waitEdge) error {
	r := t.r
	if r.ended.Load() {
		return errCutoff
	}
	t.wait = e
	t.state = stBlocked
	r.blocked++
	if cycle := r.findCycle(t); cycle != nil {
		r.endDeadlock(cycle)
		return errCutoff
	}
	if r.blocked == r.live {
		r.globalDeadlock()
		return errCutoff
	}
	r.mu.Unlock()
	err := r.sched.park(t)
	r.mu.Lock()
	if err == nil && r.ended.Load() {
		err = errCutoff
	}
	return err
}

// unpark makes a blocked thread runnable again; r.mu is held.
func (r *run) unpark(t *thread) {
	if t.state != stBlocked {
		return
	}
	t.state = stRunning
	t.wait = waitEdge{}
	r.blocked--
	r.sched.unpark(t)
}

// handle is what spawn returns: join(), name, id.
type handle struct {
	t    *thread
	join *starlark.Builtin
}

func newHandle(t *thread) *handle {
	h := &handle{t: t}
	h.join = starlark.NewBuiltin("join", h.doJoin)
	return h
}

var _ starlark.HasAttrs = (*handle)(nil)

func (h *handle) String() string        { return fmt.Sprintf("<thread %s>", h.t.name) }
func (h *handle) Type() string          { return "thread" }
func (h *handle) Freeze()               {}
func (h *handle) Truth() starlark.Bool  { return true }
func (h *handle) Hash() (uint32, error) { return uint32(h.t.id) * 2654435761, nil }
func (h *handle) AttrNames() []string   { return []string{"id", "join", "name", "unpark"} }

func (h *handle) Attr(name string) (starlark.Value, error) {
	switch name {
	case "join":
		return h.join, nil
	case "name":
		return starlark.String(h.t.name), nil
	case "id":
		return starlark.MakeInt(h.t.id), nil
	case "unpark":
		return starlark.NewBuiltin("unpark", h.doUnpark), nil
	}
	return nil, nil
}

func (h *handle) doJoin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, err := beginNoArgs(th, b, args, kwargs, Op{K: trace.Join, Obj: h.t.name, ID: ThreadObject(h.t.id), blk: h.t})
	if err != nil {
		return nil, err
	}
	return t.joinThread(h.t, callerLine(th))
}

// joinThread waits for target to finish and returns its result; scope
// joins its threads this way too.
func (t *thread) joinThread(target *thread, line int) (starlark.Value, error) {
	r := t.r
	// The value names the thread by id: names need not be unique.
	t.rec(trace.Join, target.name, trace.Int(int64(target.id)), line)
	r.mu.Lock()
	for !target.state.finished() {
		target.joiners = append(target.joiners, t)
		if err := t.block(waitEdge{kind: waitJoin, target: target, line: line}); err != nil {
			r.mu.Unlock()
			return nil, err
		}
	}
	state, result, pmsg, pline := target.state, target.result, target.panicMsg, target.panicLine
	r.mu.Unlock()
	switch state {
	case stPanicked:
		t.rec(trace.Joined, target.name, trace.Str("panicked"), line)
		if pline > 0 {
			return nil, fmt.Errorf("join: thread %s panicked at line %d: %s", target.name, pline, pmsg)
		}
		return nil, fmt.Errorf("join: thread %s panicked: %s", target.name, pmsg)
	case stCutoff:
		return nil, errCutoff
	}
	t.rec(trace.Joined, target.name, toValue(result), line)
	return result, nil
}

// spawn(fn, *args, name=None)
func spawn(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, err := current(th)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, argError("spawn: missing the function to run: spawn(fn, *args, name = None)")
	}
	fn, ok := args[0].(starlark.Callable)
	if !ok {
		return nil, argError("spawn: the first argument must be a function, not %s", args[0].Type())
	}
	name := ""
	for _, kv := range kwargs {
		k, _ := starlark.AsString(kv[0])
		if k != "name" {
			return nil, argError("spawn: unexpected keyword argument %s: only name = is allowed", k)
		}
		switch v := kv[1].(type) {
		case starlark.String:
			name = string(v)
		case starlark.NoneType:
		default:
			return nil, argError("spawn: name must be a string, not %s", v.Type())
		}
	}
	r := t.r
	line := callerLine(th)
	t.next = Op{K: trace.Spawn, Obj: name, ID: ObjThreads, Line: line, Write: true}
	if err := r.sched.point(t); err != nil {
		return nil, err
	}
	rest := append(starlark.Tuple(nil), args[1:]...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended.Load() {
		return nil, errCutoff
	}
	if len(r.threads) >= r.thLim {
		r.endLocked(trace.StatusLimit, fmt.Sprintf("thread limit reached: at most %d threads in %s mode.", r.thLim, r.mode))
		return nil, errCutoff
	}
	if name == "" {
		name = fmt.Sprintf("thread-%d", len(r.threads))
	}
	reason := "moved into thread " + name + " by spawn"
	if len(t.scopes) > 0 {
		reason = "borrowed read-only by thread " + name + " in a scope"
	}
	r.moves.move(r.script, th, fn, rest, reason)
	child := r.newThread(t, name, fn, rest, nil)
	if n := len(t.scopes); n > 0 {
		t.scopes[n-1] = append(t.scopes[n-1], child)
	}
	t.rec(trace.Spawn, child.name, trace.Int(int64(child.id)), line)
	if r.mode == trace.ModeOS {
		r.growProcs()
	}
	r.startThread(child)
	return child.handle, nil
}

// growProcs gives every live thread of os mode a P of its own, so that the
// kernel, not the Go scheduler, decides which of them runs; r.mu is held.
func (r *run) growProcs() {
	want := r.live + 2
	if n := runtime.GOMAXPROCS(0); want > n {
		runtime.GOMAXPROCS(max(want, 2*n))
	}
}
