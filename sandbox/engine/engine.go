// Package engine is Interleave's threading runtime: it runs a scenario
// script's Starlark on real threads (os, green) or under a deterministic
// scheduler (sim), and records every shared access and every wait as a
// trace event.
//
// A run has one goroutine per scenario thread (main is thread 0), a
// flusher goroutine that streams events (recorder.go), and the caller's
// goroutine, which waits for the run to end: main returning, a deadlock
// (deadlock.go), a limit (limits.go) or the context. Shared objects
// (mutexes, channels, thread states, the wait-for graph) are guarded by
// one lock, run.mu; cells are lock-free so that races stay real.
package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"

	"interleave/limits"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// Request is one run as the child receives it on stdin.
type Request struct {
	Scenario string         `json:"scenario"` // catalogue id or file name, for the result
	Source   string         `json:"source"`
	Params   map[string]any `json:"params,omitempty"` // raw values; resolved against the script's params
	Mode     trace.Mode     `json:"mode"`
	Procs    int            `json:"procs,omitempty"` // green mode: OS threads (GOMAXPROCS), limits.DefaultProcs to limits.MaxProcs
	Seed     int64          `json:"seed,omitempty"`
	Schedule string         `json:"schedule,omitempty"` // sim mode: replay this schedule
	// Limits are the run's limits; zero fields mean the defaults. The
	// engine enforces the scenario threads, events, steps and output; the
	// sandbox's OS layers the rest.
	Limits limits.Limits `json:"limits"`
}

// Head is the part of a result that says which run it is of.
func (r Request) Head() trace.Result {
	return trace.Result{Scenario: r.Scenario, Mode: r.Mode, Procs: r.Procs, Seed: r.Seed, Params: r.Params}
}

// unwindWait bounds how long Run waits, once the run has ended, for its
// threads to unwind so that the result sees their final counts. A thread
// still stuck past it is recorded as cut off, and its recorder is not reused.
const unwindWait = 2 * time.Second

// runOptions are what tests and benchmarks set and the child never does.
type runOptions struct {
	Options       // what exploration sets: a chooser, no events
	noRecord bool // measure builtins without recording, to price an event
}

// errCutoff is what a builtin returns to a thread whose run has ended: the
// thread unwinds without recording anything more.
var errCutoff = errors.New("cut off: the run has ended")

// run is the state of one Run call.
type run struct {
	req    Request
	mode   trace.Mode
	lim    limits.Limits
	thLim  int   // the mode's scenario threads at most (lim.ScenarioThreads)
	start  int64 // nanotime at the start
	rec    *recorder
	sched  scheduler
	sim    *simSched // nil unless sim mode
	script *script

	noRecord bool    // benchmarks: measure builtins without recording
	opts     Options // a chooser for sim mode, no events

	ended atomic.Bool   // set once, by end
	done  chan struct{} // closed by end
	wg    sync.WaitGroup

	budget    atomic.Int64 // Starlark steps left to hand out
	stepsUsed atomic.Int64
	objIDs    atomic.Int64 // identities handed out to objects, for sim mode's chooser

	mu        sync.Mutex // guards everything below
	threads   []*thread
	live      int // threads started and not finished
	blocked   int // live threads waiting in the wait-for graph
	cells     []*cellObj
	checks    []trace.CheckResult
	output    strings.Builder
	moves     moveTable
	status    trace.Status
	message   string
	scriptEr  *trace.ScriptError
	deadlock  *trace.Deadlock
	goids     map[uint64]*thread
	tidMu     sync.Mutex
	tids      map[uint64]int // green mode: OS thread key -> tid
	cutReason string         // the V of cutoff events
}

// Run runs one scenario and returns its result (without events). emit is
// called from a single goroutine at a time with batches of events in
// sequence order; the batch is reused after emit returns.
func Run(ctx context.Context, req Request, emit func(batch []trace.Event)) *trace.Result {
	return runWith(ctx, req, runOptions{}, emit)
}

// RunWith is Run with options: a chooser for sim mode's choices, or no
// events.
func RunWith(ctx context.Context, req Request, opts Options, emit func(batch []trace.Event)) *trace.Result {
	return runWith(ctx, req, runOptions{Options: opts}, emit)
}

func runWith(ctx context.Context, req Request, opt runOptions, emit func(batch []trace.Event)) *trace.Result {
	wallStart, cpuStart := time.Now(), processCPUTime()
	r := &run{req: req, mode: req.Mode, done: make(chan struct{}), noRecord: opt.noRecord || opt.NoEvents, opts: opt.Options}
	if r.mode == "" {
		r.mode = trace.ModeOS
	}
	r.lim = req.Limits.WithDefaults()
	r.thLim = r.lim.ScenarioThreads(r.mode == trace.ModeOS)
	res := &trace.Result{
		Scenario: req.Scenario,
		Mode:     r.mode,
		Seed:     req.Seed,
		Procs:    r.procs(),
		Params:   map[string]any{},
		Checks:   []trace.CheckResult{},
		Threads:  []trace.Thread{},
		Cells:    []trace.CellValue{},
	}
	if f := r.execute(ctx, emit, res); f != nil {
		res.Status, res.Message, res.Error = f.status, f.msg, f.se
	} else {
		r.collect(res)
	}
	res.Stats.WallNs = time.Since(wallStart).Nanoseconds()
	res.Stats.CPUNs = processCPUTime() - cpuStart
	return res
}

// runFailure is why a run ended before its main thread started.
type runFailure struct {
	status trace.Status
	msg    string
	se     *trace.ScriptError
}

// sentenceFailure is a failure that err's text, made a sentence, explains.
func sentenceFailure(err error) *runFailure {
	return &runFailure{status: trace.StatusError, msg: err.Error() + "."}
}

// scriptFailure is a failure in the script at se's position.
func scriptFailure(se *scriptError) *runFailure {
	return &runFailure{status: trace.StatusError, msg: se.sentence(), se: se.result()}
}

// execute runs the script from loading to the end of main's run, leaving
// the threads unwound and the recorder finished.
func (r *run) execute(ctx context.Context, emit func([]trace.Event), res *trace.Result) *runFailure {
	if _, err := trace.ParseMode(string(r.mode)); err != nil {
		return sentenceFailure(err)
	}
	sc, params, kwargs, err := loadScript(r.req)
	if err != nil {
		return scriptFailure(asScriptError(err))
	}
	r.script = sc
	res.Params = params
	restore, f := r.setScheduler(res.Procs)
	if f != nil {
		return f
	}
	defer restore()

	r.budget.Store(int64(r.lim.Steps))
	if r.sim == nil {
		chooseCPUPaths()
	}
	r.rec = newRecorder(r.lim.Events, emit)
	r.start = nanotime()
	if r.opts.NoEvents {
		r.rec.idle() // no flusher: nothing is recorded but cutoffs, which are not emitted
	} else {
		r.rec.start(r.start, useTSC && r.sim == nil)
	}
	unwound := true
	defer func() {
		r.rec.finish()
		if unwound {
			r.rec.release()
		}
	}()

	mainFn, f := r.load(ctx)
	if f != nil {
		return f
	}
	r.mu.Lock()
	main := r.newThread(nil, "main", mainFn, nil, kwargs)
	r.startThread(main)
	r.mu.Unlock()

	select {
	case <-r.done:
	case <-ctx.Done():
		status, msg, _ := ctxStatus(ctx)
		r.end(status, msg)
	}
	unwound = r.unwind()
	return nil
}

// setScheduler picks the mode's scheduler and sets GOMAXPROCS for it; the
// function it returns restores GOMAXPROCS.
func (r *run) setScheduler(procs int) (restore func(), f *runFailure) {
	switch r.mode {
	case trace.ModeSim:
		sim, err := newSimSched(r, r.req.Seed, r.req.Schedule, r.opts)
		if err != nil {
			return nil, sentenceFailure(err)
		}
		r.sim, r.sched = sim, sim
		return func() {}, nil
	case trace.ModeGreen:
		r.sched = &realSched{r: r, locked: false}
		return setProcs(procs), nil
	default:
		// growProcs raises GOMAXPROCS as threads are spawned.
		r.sched = &realSched{r: r, locked: true}
		return setProcs(runtime.GOMAXPROCS(0)), nil
	}
}

// load runs the module's top level on its own thread, before main, and
// returns main.
func (r *run) load(ctx context.Context) (starlark.Callable, *runFailure) {
	loader := &starlark.Thread{Name: "load"}
	loader.Print = func(_ *starlark.Thread, msg string) { r.appendOutput(msg + "\n") }
	loader.SetMaxExecutionSteps(uint64(r.budget.Load()))
	stopLoad := context.AfterFunc(ctx, func() { loader.Cancel("stopped") })
	globals, err := r.script.exec(loader, r.predeclared())
	stopLoad()
	r.budget.Add(-int64(loader.Steps))
	r.stepsUsed.Add(int64(loader.Steps))
	if err != nil {
		switch {
		case ctx.Err() != nil:
			status, msg, se := ctxStatus(ctx)
			return nil, &runFailure{status, msg, se}
		case loader.Steps >= r.lim.Steps:
			return nil, &runFailure{status: trace.StatusLimit, msg: r.stepLimitMessage()}
		}
		se := asScriptError(err)
		se.line, se.col = r.script.locate(se.line, se.col)
		return nil, scriptFailure(se)
	}
	mainFn, ok := globals["main"].(starlark.Callable)
	if !ok {
		return nil, &runFailure{trace.StatusError, "the script has no main function: define def main(...) to run.", &trace.ScriptError{Line: 1, Col: 1, Msg: "no main function"}}
	}
	r.moves.noteGlobals(globals)
	return mainFn, nil
}

// unwind waits up to unwindWait for every thread, cancelled or woken by
// now, to return, records the ones stuck past it as cut off, and reports
// whether all returned.
func (r *run) unwind() bool {
	waited := make(chan struct{})
	go func() { r.wg.Wait(); close(waited) }()
	timer := time.NewTimer(unwindWait)
	defer timer.Stop()
	allDone := true
	select {
	case <-waited:
	case <-timer.C:
		allDone = false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.threads {
		t.recordCutoff(false)
	}
	return allDone
}

// collect fills res from the ended run.
func (r *run) collect(res *trace.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Status, res.Message, res.Error, res.Deadlock = r.status, r.message, r.scriptEr, r.deadlock
	res.Checks = append(res.Checks, r.checks...)
	for _, t := range r.threads {
		res.Threads = append(res.Threads, t.info())
	}
	for _, c := range r.cells {
		res.Cells = append(res.Cells, trace.CellValue{Name: c.name, Value: toValue(c.load())})
	}
	res.Output = r.output.String()
	res.Stats.Events, res.Stats.Dropped = r.rec.counts()
	res.Stats.OSThreads = len(r.rec.tids)
	res.Stats.Steps = r.stepsUsed.Load()
	if r.sim != nil {
		r.sim.finish(r.status)
		res.Schedule = r.sim.schedule()
	}
	clipResult(res)
}

// clipResult shortens the script's own texts in a result (names, check
// and panic messages, cell values) as events are shortened: a name or a
// message of many megabytes would otherwise break the frame the result
// travels in. The print output has its own limit.
func clipResult(res *trace.Result) {
	const n = trace.MaxText
	res.Message = trace.Clip(res.Message, 2*n)
	if res.Error != nil {
		res.Error.Msg = trace.Clip(res.Error.Msg, 2*n)
	}
	if res.Deadlock != nil {
		for i := range res.Deadlock.Cycle {
			w := &res.Deadlock.Cycle[i]
			w.Thread, w.Obj, w.HolderName = trace.Clip(w.Thread, n), trace.Clip(w.Obj, n), trace.Clip(w.HolderName, n)
		}
	}
	for i := range res.Checks {
		res.Checks[i].Msg = trace.Clip(res.Checks[i].Msg, n)
	}
	for i := range res.Threads {
		t := &res.Threads[i]
		t.Name, t.Panic = trace.Clip(t.Name, n), trace.Clip(t.Panic, 2*n)
	}
	for i := range res.Cells {
		c := &res.Cells[i]
		c.Name, c.Value = trace.Clip(c.Name, n), clipValue(c.Value)
	}
}

// setProcs sets GOMAXPROCS, which stops the world, only if it changes,
// and returns the function that restores it.
func setProcs(n int) func() {
	prev := runtime.GOMAXPROCS(0)
	if n != prev {
		runtime.GOMAXPROCS(n)
	}
	return func() {
		if runtime.GOMAXPROCS(0) != prev {
			runtime.GOMAXPROCS(prev)
		}
	}
}

// ctxStatus is the status of a run whose context ended.
func ctxStatus(ctx context.Context) (trace.Status, string, *trace.ScriptError) {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return trace.StatusTimeout, "timeout: the run took longer than its time limit and was stopped.", nil
	}
	return trace.StatusStopped, "stopped: the run was stopped before main returned.", nil
}

// newObjID hands out an object identity for sim mode's chooser.
func (r *run) newObjID() int { return firstObjID + int(r.objIDs.Add(1)) }

func (r *run) procs() int {
	switch r.mode {
	case trace.ModeSim:
		return 1
	case trace.ModeGreen:
		if r.req.Procs > 0 {
			return min(r.req.Procs, limits.MaxProcs)
		}
		return limits.DefaultProcs
	}
	return runtime.NumCPU()
}

// end ends the run with the given status, unless it has ended already.
func (r *run) end(status trace.Status, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endLocked(status, msg)
}

// endLocked ends the run: the first caller sets the status; every live
// thread gets a cutoff event and is cancelled or woken. r.mu is held.
func (r *run) endLocked(status trace.Status, msg string) bool {
	if r.ended.Load() {
		return false
	}
	r.status, r.message = status, msg
	reason := string(status)
	switch status {
	case trace.StatusOK, trace.StatusFailed:
		reason = "main returned"
	case trace.StatusPanic:
		reason = "main panicked"
	case trace.StatusError:
		reason = "main stopped with an error"
	}
	r.cutReason = reason
	for _, t := range r.threads {
		if t.state.finished() {
			continue
		}
		t.cutoff()
	}
	r.ended.Store(true)
	close(r.done)
	for _, t := range r.threads {
		t.sth.Cancel(errCutoff.Error())
	}
	return true
}

// finishMainLocked ends the run once main has returned (se is nil) or
// failed; r.mu is held.
func (r *run) finishMainLocked(se *scriptError) {
	if r.ended.Load() {
		return
	}
	if se != nil {
		r.scriptEr = se.result()
		if se.isArg {
			r.endLocked(trace.StatusError, se.sentence())
		} else {
			r.endLocked(trace.StatusPanic, "main panicked: "+se.sentence())
		}
		return
	}
	failed := 0
	var first string
	for _, c := range r.checks {
		if !c.OK {
			if failed == 0 {
				first = c.Msg
			}
			failed++
		}
	}
	panicked := 0
	for _, t := range r.threads {
		if t.state == stPanicked {
			panicked++
		}
	}
	suffix := ""
	if panicked > 0 {
		suffix = fmt.Sprintf("; %s panicked", plural(panicked, "thread"))
	}
	switch {
	case failed > 0 && len(r.checks) == 1:
		r.endLocked(trace.StatusFailed, fmt.Sprintf("check failed: %s%s.", first, suffix))
	case failed > 0:
		r.endLocked(trace.StatusFailed, fmt.Sprintf("%d of %s failed: %s%s.", failed, plural(len(r.checks), "check"), first, suffix))
	case len(r.checks) == 1:
		r.endLocked(trace.StatusOK, fmt.Sprintf("main returned and its check held: %s%s.", r.checks[0].Msg, suffix))
	case len(r.checks) == 2:
		r.endLocked(trace.StatusOK, fmt.Sprintf("main returned and both checks held%s.", suffix))
	case len(r.checks) > 2:
		r.endLocked(trace.StatusOK, fmt.Sprintf("main returned and all %d checks held%s.", len(r.checks), suffix))
	default:
		r.endLocked(trace.StatusOK, fmt.Sprintf("main returned%s.", suffix))
	}
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// appendOutput adds printed text, ending the run when the output limit is
// passed. It reports whether the text fit.
func (r *run) appendOutput(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.appendOutputLocked(s)
}

func (r *run) appendOutputLocked(s string) bool {
	if r.output.Len()+len(s) > r.lim.Output {
		r.output.WriteString(s[:max(0, r.lim.Output-r.output.Len())])
		r.endLocked(trace.StatusLimit, fmt.Sprintf("output limit reached: at most %d bytes of print output.", r.lim.Output))
		return false
	}
	r.output.WriteString(s)
	return true
}

// sortedKwargs turns resolved params into main's keyword arguments in a
// fixed order.
func sortedKwargs(params map[string]any) []starlark.Tuple {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	kw := make([]starlark.Tuple, 0, len(names))
	for _, k := range names {
		kw = append(kw, starlark.Tuple{starlark.String(k), scenarios.ToStarlark(params[k])})
	}
	return kw
}
