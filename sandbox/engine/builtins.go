package engine

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.starlark.net/starlark"

	"interleave/limits"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// builtins is the scenario language (docs/language.md), the one list of
// the names the engine predeclares besides param. print is Starlark's
// own, redirected by printHook.
var builtins = map[string]func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error){
	"spawn":     spawn,
	"sleep":     sleepBuiltin,
	"yield_now": yieldNow,
	"work":      workBuiltin,
	"cell":      newCell,
	"mutex":     newMutex,
	"channel":   newChannel,
	"condvar":   newCondvar,
	"rwlock":    newRWLock,
	"barrier":   newBarrier,
	"semaphore": newSemaphore,
	"scope":     scopeBuiltin,
	"park":      parkBuiltin,
	"once":      newOnce,
	"check":     checkBuiltin,
	"fail":      failBuiltin,
}

// predeclared is what a run's script sees.
func (r *run) predeclared() starlark.StringDict { return predeclaredOnce() }

// predeclaredOnce builds the builtins once per process: they hold no
// state of a run (each finds its run through the calling thread), and
// Starlark only reads the dictionary, so runs share it rather than
// allocating eleven objects each.
var predeclaredOnce = sync.OnceValue(func() starlark.StringDict {
	d := starlark.StringDict{"param": scenarios.ParamBuiltin}
	for name, fn := range builtins {
		d[name] = starlark.NewBuiltin(name, fn)
	}
	return d
})

// begin is the prologue of every builtin that acts: it finds the calling
// scenario thread and passes a scheduling point (sim mode may switch
// threads here; every mode notices a run that has ended). op is what the
// builtin is about to do, for sim mode's chooser.
func begin(th *starlark.Thread, op Op) (*thread, error) {
	t, err := current(th)
	if err != nil {
		return nil, err
	}
	if t.r.sim != nil {
		op.Line = callerLine(th)
		t.next = op
	}
	if err := t.r.sched.point(t); err != nil {
		return nil, err
	}
	return t, nil
}

// callerLine is the script line that called the running builtin.
func callerLine(th *starlark.Thread) int {
	if th.CallStackDepth() < 2 {
		return 0
	}
	return int(th.DebugFrame(1).Position().Line)
}

// rec records an event of the running thread t, from t's goroutine.
func (t *thread) rec(k trace.Kind, obj string, v trace.Value, line int) {
	t.recVer(k, obj, v, line, 0)
}

// recVer records an event that names a cell version or a message number
// (see trace.Event.Ver).
func (t *thread) recVer(k trace.Kind, obj string, v trace.Value, line int, ver uint64) {
	t.recAt(k, obj, v, line, ver, -1)
}

// recAt records an event stamped at, a reading of the event clock
// (r.now) in the real modes, or now if at is negative: for an event about
// a moment already past, which recording may be set aside after.
func (t *thread) recAt(k trace.Kind, obj string, v trace.Value, line int, ver uint64, at int64) {
	r := t.r
	if r.ended.Load() || r.noRecord {
		return
	}
	t.events++
	s, seq := r.rec.reserve()
	if s == nil {
		return
	}
	e := &s.ev
	e.Seq, e.Th, e.K, e.Obj, e.V, e.Line, e.Ver = seq, t.id, k, obj, clipValue(v), line, ver
	if len(obj) > trace.MaxText {
		e.Obj = trace.Clip(obj, trace.MaxText)
	}
	switch r.mode {
	case trace.ModeSim:
		e.T = r.sim.clock.Load()
		e.Tid, e.CPU, e.HasOS = 0, 0, false
	case trace.ModeGreen:
		e.T = at
		e.Tid, e.CPU, e.HasOS = t.osTid(), t.cpu(), true
	default:
		e.T = at
		e.Tid, e.CPU, e.HasOS = t.tid, t.cpu(), true
	}
	if at < 0 && r.mode != trace.ModeSim {
		e.T = r.now()
	}
	r.rec.publish(s, seq)
}

// clocks reads the monotonic clock and, with no call between, the event
// clock: Go preempts a goroutine at a call's prologue, and a stamp read
// after one could be late by the wait.
func (r *run) clocks() (ns, at int64) {
	ns = nanotime()
	if useTSC {
		return ns, rdtsc()
	}
	return ns, ns - r.start
}

// now is the event clock of the real modes: raw TSC ticks, which the
// recorder converts, or nanoseconds since the start.
func (r *run) now() int64 {
	if useTSC {
		return rdtsc()
	}
	return nanotime() - r.start
}

// recordFor records an event on t's lane from another goroutine (cutoff);
// it carries no OS thread.
func (r *run) recordFor(t *thread, k trace.Kind, obj string, v trace.Value, line int) {
	s, seq := r.rec.reserve()
	if s == nil {
		return
	}
	e := &s.ev
	*e = trace.Event{Seq: seq, Th: t.id, K: k, Obj: trace.Clip(obj, trace.MaxText), V: clipValue(v), Line: line}
	if r.sim != nil {
		e.T = r.sim.clock.Load()
	} else {
		e.T = r.now()
	}
	r.rec.publish(s, seq)
}

// clipValue shortens a string value to trace.MaxText: an event shows a
// value, and a print or a value of many megabytes would otherwise break
// the frame it travels in. The whole print still goes to the output,
// under its own limit.
func clipValue(v trace.Value) trace.Value {
	if v.Kind == trace.VStr && len(v.Str) > trace.MaxText {
		v.Str = trace.Clip(v.Str, trace.MaxText)
	}
	return v
}

// toValue converts a Starlark value for an event: scalars as themselves,
// anything else as its text.
func toValue(v starlark.Value) trace.Value {
	switch x := v.(type) {
	case nil:
		return trace.Value{}
	case starlark.NoneType:
		return trace.Null()
	case starlark.Bool:
		return trace.Bool(bool(x))
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			return trace.Int(i)
		}
		return trace.Str(x.String())
	case starlark.Float:
		return trace.Float(float64(x))
	case starlark.String:
		return trace.Str(string(x))
	}
	return trace.Str(v.String())
}

// argError is a wrong argument to a builtin: in main it makes the status
// error, since the script, not the interleaving, is wrong.
func argError(format string, args ...any) error {
	return &scriptError{msg: fmt.Sprintf(format, args...), isArg: true}
}

// wrapArg marks an UnpackArgs error as a wrong argument.
func wrapArg(err error) error {
	if err == nil {
		return nil
	}
	return &scriptError{msg: err.Error(), isArg: true}
}

// numArg unpacks the one number a builtin takes, int or float, and
// checks that it lies in [0, max]: inf, nan and huge values would
// otherwise overflow the nanoseconds they are turned into and return at
// once.
func numArg(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, name string, max float64) (float64, error) {
	var v starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, name, &v); err != nil {
		return 0, wrapArg(err)
	}
	f, ok := starlark.AsFloat(v)
	if !ok {
		return 0, argError("%s(%s): %s must be a number, not %s", b.Name(), name, name, v.Type())
	}
	if !(f >= 0 && f <= max) { // also false for nan
		return 0, argError("%s(%s): %s must be a number from 0 to %d, not %s", b.Name(), name, name, int64(max), v.String())
	}
	return f, nil
}

func noArgs(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) error {
	return wrapArg(starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0))
}

// beginNamed is begin for a constructor that takes only a name, such as
// mutex(name): making an object is a step of its own thread.
func beginNamed(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (*thread, string, error) {
	var name string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name); err != nil {
		return nil, "", wrapArg(err)
	}
	t, err := begin(th, Op{})
	return t, name, err
}

// beginNoArgs is begin for a builtin that takes no arguments.
func beginNoArgs(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, op Op) (*thread, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	return begin(th, op)
}

// maxSleepMs caps sleep(ms) at a minute: longer than the default
// wall-clock limit of a run (10 s), so a sleeper that outlasts the run can
// still be shown, and small enough that the virtual clock of sim mode
// cannot overflow within a run's step budget. Sleeping longer is a loop.
const maxSleepMs = 60_000

// maxWorkUs caps work(us) at 10 s of CPU, the default CPU limit of a run.
const maxWorkUs = limits.DefaultCPUSeconds * 1_000_000

// sleep(ms): sleep for ms milliseconds, from 0 to maxSleepMs (a minute).
func sleepBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, ms, line, err := beginTimed(th, b, args, kwargs, "ms", maxSleepMs, trace.Sleep)
	if err != nil {
		return nil, err
	}
	r := t.r
	r.mu.Lock()
	if t.state == stRunning {
		t.state = stSleeping
	}
	r.mu.Unlock()
	t.next = Op{K: trace.Wake, Line: line}
	err = r.sched.sleep(t, int64(ms*1e6))
	r.mu.Lock()
	if t.state == stSleeping {
		t.state = stRunning
	}
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	t.rec(trace.Wake, "", trace.Value{}, line)
	return starlark.None, nil
}

// beginTimed is the prologue of sleep and work: it takes their one
// number, from 0 to most, begins, and records the event k with the number
// at the caller's line.
func beginTimed(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, name string, most float64, k trace.Kind) (t *thread, v float64, line int, err error) {
	if v, err = numArg(b, args, kwargs, name, most); err != nil {
		return nil, 0, 0, err
	}
	op := Op{K: k, V: numValue(v)}
	if k == trace.Sleep {
		// A sleeper's wake-up depends on the virtual clock, which every
		// step moves: it conflicts with all of them.
		op.ID, op.Write = ObjGlobal, true
	}
	if t, err = begin(th, op); err != nil {
		return nil, 0, 0, err
	}
	line = callerLine(th)
	// Stamped from clocks read back to back, so that busy can count a
	// wait from the very start of a work span (see thread.spanNs).
	var at int64
	t.spanNs, at = t.r.clocks()
	t.recAt(k, "", numValue(v), line, 0, at)
	return t, v, line, nil
}

func numValue(f float64) trace.Value {
	if f == float64(int64(f)) {
		return trace.Int(int64(f))
	}
	return trace.Float(f)
}

// yield_now()
func yieldNow(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(b, args, kwargs); err != nil {
		return nil, err
	}
	t, err := current(th)
	if err != nil {
		return nil, err
	}
	line := callerLine(th)
	t.rec(trace.Yield, "", trace.Value{}, line)
	t.next = Op{K: trace.Yield, Line: line}
	if err := t.r.sched.yield(t); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// work(us): CPU-bound busy work of about us microseconds, from 0 to
// maxWorkUs (10 s).
func workBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	t, us, line, err := beginTimed(th, b, args, kwargs, "us", maxWorkUs, trace.Work)
	if err != nil {
		return nil, err
	}
	t.ranNs, t.spanAt = -1, -1
	if err := t.r.sched.work(t, int64(us*1e3), line); err != nil {
		return nil, err
	}
	// In the real modes the completion carries how long the thread ran
	// in the span; the rest of the span it was runnable and waited.
	v := trace.Value{}
	if t.ranNs >= 0 {
		v = trace.Int(t.ranNs)
	}
	t.recAt(trace.Worked, "", v, line, 0, t.spanAt)
	return starlark.None, nil
}

// gapNs is the shortest stall of the busy loop taken as time the thread
// did not run: 256 rounds of the loop take well under a microsecond, and
// an interrupt a few; a thread the kernel or the Go scheduler set aside
// waits a slice, tens of microseconds at least.
const gapNs = 20_000

// busy spins until the thread has run for about ns nanoseconds, stopping
// early if the run ends, and sets t.ranNs to how long it ran. A thread
// that waits for a core or an OS thread meanwhile takes longer, as a real
// computation would: the loop counts the wall time less its stalls of
// gapNs or more, when it was not running. Each stall is recorded when it
// ends, as a runnable event whose v is its length, so the timeline can
// draw when the thread waited and not only how long; it costs a clock
// read every 256 rounds and an event a stall, and a thread is set aside
// at most a few hundred times a second. The ranNs reported is, in os
// mode, the OS thread's CPU time (CLOCK_THREAD_CPUTIME_ID), exact, but
// never more than the wall time less the stalls (a virtual machine's
// guest clock counts the time its CPU was taken by the host); in green
// mode the goroutine may change OS threads, so it is that count.
// The span runs from t.spanNs, when its work event was stamped, to
// t.spanAt, the stamp busy leaves for its worked event: a wait between
// the event and the loop (a call's prologue, where Go preempts) is
// counted too.
func (t *thread) busy(ns int64, line int) error {
	start := t.spanNs
	cpu0 := int64(-1)
	if t.r.mode == trace.ModeOS {
		cpu0 = threadCPUTime()
	}
	last, lastAt, stalled := start, int64(-1), int64(0)
	// stall takes the clocks read at one moment: a gap since the last
	// reading is a wait, which ended then and is recorded as such.
	stall := func(now, at int64) {
		if gap := now - last; gap >= gapNs {
			stalled += gap
			t.recAt(trace.Runnable, "", trace.Int(gap), line, 0, at)
		}
		last, lastAt = now, at
	}
	x := t.sink | 1
	for i := 0; ; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		if i&255 == 0 {
			stall(t.r.clocks())
			if last-start-stalled >= ns {
				break
			}
			if t.r.ended.Load() {
				t.sink = x
				return errCutoff
			}
		}
	}
	t.sink = x
	if cpu0 < 0 {
		// The worked event is stamped at the last reading: a fresh one
		// would come after a call, where the goroutine could wait unseen.
		t.ranNs, t.spanAt = max(last-start-stalled, 0), lastAt
		return nil
	}
	// Reading the CPU clock brings the kernel's accounting up to date,
	// and a thread past its slice is often set aside right there.
	cpu1 := threadCPUTime()
	now, at := t.r.clocks()
	stall(now, at)
	// On a virtual machine the thread's CPU clock also counts the time
	// the host took its virtual CPU away, which the loop saw as stalls:
	// the thread did not run then either.
	t.ranNs, t.spanAt = min(max(cpu1-cpu0, 0), last-start-stalled), at
	return nil
}

// check(cond, msg)
func checkBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cond starlark.Value
	var msg string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "cond", &cond, "msg?", &msg); err != nil {
		return nil, wrapArg(err)
	}
	t, err := begin(th, Op{K: trace.Check})
	if err != nil {
		return nil, err
	}
	ok := bool(cond.Truth())
	line := callerLine(th)
	if msg == "" {
		msg = fmt.Sprintf("check at line %d", line)
	}
	outcome := "ok"
	if !ok {
		outcome = "failed"
	}
	// Obj says whether the check held; V is its message.
	t.rec(trace.Check, outcome, trace.Str(msg), line)
	r := t.r
	r.mu.Lock()
	r.checks = append(r.checks, trace.CheckResult{Msg: msg, OK: ok, Th: t.id, Line: line})
	r.mu.Unlock()
	return starlark.None, nil
}

// printHook is every scenario thread's print: an event on its lane and a
// line of output.
func printHook(th *starlark.Thread, msg string) {
	t, err := current(th)
	if err != nil {
		return
	}
	if t.r.ended.Load() {
		return
	}
	t.printed = true
	t.rec(trace.Print, "", trace.Str(msg), callerLine(th))
	if !t.r.appendOutput(msg + "\n") {
		th.Cancel(errCutoff.Error())
	}
}

// fail(msg): panic the current thread.
func failBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(starlark.String); ok {
			parts[i] = string(s)
		} else {
			parts[i] = a.String()
		}
	}
	if len(kwargs) > 0 {
		return nil, argError("fail: takes only positional arguments")
	}
	msg := strings.Join(parts, " ")
	if msg == "" {
		msg = "fail() called"
	}
	return nil, &failError{msg: msg}
}

// failError is what fail() raises.
type failError struct{ msg string }

func (e *failError) Error() string { return "fail: " + e.msg }

// runtimeError turns the error a thread's function returned into a located
// message: the innermost Starlark frame, with frozen-value errors
// rewritten to name the thread the value was moved into.
func (r *run) runtimeError(err error) *scriptError {
	var se *scriptError
	out := &scriptError{msg: err.Error()}
	var ee *starlark.EvalError
	if errors.As(err, &ee) {
		out.msg = ee.Msg
		out.line, out.col = innermost(ee.CallStack)
		if strings.Contains(ee.Msg, "frozen ") {
			r.mu.Lock()
			out.msg = r.moves.explain(r.script, ee)
			r.mu.Unlock()
		}
	}
	var fe *failError
	switch {
	case errors.As(err, &fe):
		out.msg = fe.msg
	case errors.As(err, &se):
		out.msg, out.isArg = se.msg, se.isArg
	case ee != nil && strings.Contains(ee.Msg, " field or method"):
		// c.increment(): a method that does not exist is a mistake in the
		// script, like a wrong argument, not a thread that panicked.
		out.isArg = true
	case ee != nil && isBindingError(ee.Msg):
		// Starlark reports it from inside the called function, at its
		// def; the mistake is at the call.
		out.isArg = true
		if n := len(ee.CallStack); n >= 2 && ee.CallStack[n-1].Pos.Filename() != "<builtin>" {
			out.line, out.col = innermost(ee.CallStack[:n-1])
		}
	}
	out.line, out.col = r.script.locate(out.line, out.col)
	return out
}

// isBindingError recognizes Starlark's errors for a call with the wrong
// arguments.
func isBindingError(msg string) bool {
	for _, s := range []string{"missing argument", "unexpected keyword argument", "accepts ", "takes exactly", "got multiple values for", "for parameter", "does not accept"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
