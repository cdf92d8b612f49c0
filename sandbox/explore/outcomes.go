package explore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// Why an exploration ended before its search did.
const (
	stopBudget = "budget"
	stopTime   = "time"
	stopStop   = "stop"
	// stopFailure: asked to stop at the first failure, it found one.
	stopFailure = "failure"
)

// explorer is the state every strategy shares: the runs so far, grouped
// into outcomes, and the limits.
type explorer struct {
	ctx        context.Context
	cancel     context.CancelFunc // releases ctx's deadline, if any
	req        engine.Request
	opts       Options
	onProgress func(Progress)

	start    time.Time
	deadline time.Time // zero: none
	lastProg time.Time

	outcomes  map[string]*Outcome
	schedules int
	runs      int
	stopped   string
	limit     string
	fatal     bool // the script cannot run at all: stop
	capped    bool // an execution was cut by MaxChoices
	complete  bool
	bound     int
	guarantee string
	key       strings.Builder
	// keepFrames, if not 0, replaces dfs's keepFrames (for tests).
	keepFrames int
}

func newExplorer(ctx context.Context, req engine.Request, opts Options, onProgress func(Progress)) *explorer {
	x := &explorer{ctx: ctx, req: req, opts: opts, onProgress: onProgress, start: time.Now(), outcomes: map[string]*Outcome{}}
	if opts.TimeoutNs > 0 {
		// One deadline for the whole exploration: it also stops the run
		// in progress.
		x.deadline = x.start.Add(time.Duration(opts.TimeoutNs))
		x.ctx, x.cancel = context.WithDeadline(ctx, x.deadline)
	}
	x.lastProg = x.start
	return x
}

// more reports whether another run may start, noting why not.
func (x *explorer) more() bool {
	if x.stopped != "" || x.fatal {
		return false
	}
	now := time.Now()
	switch {
	case !x.deadline.IsZero() && !now.Before(x.deadline):
		// Before ctx: the deadline ends ctx too.
		x.stopped = stopTime
	case x.ctx.Err() != nil:
		x.stopped = stopStop
	case x.runs >= x.opts.Budget:
		x.stopped = stopBudget
	}
	if x.stopped != "" {
		return false
	}
	if x.onProgress != nil && now.Sub(x.lastProg) >= ProgressEvery {
		x.lastProg = now
		x.onProgress(x.progress())
	}
	return true
}

func (x *explorer) progress() Progress {
	return Progress{Schedules: x.schedules, Runs: x.runs, Outcomes: len(x.outcomes), ElapsedNs: time.Since(x.start).Nanoseconds()}
}

// run runs the script once under ch (nil in the real modes) and files the
// result. It reports whether the run counted (it was not abandoned or
// stopped).
func (x *explorer) run(req engine.Request, ch *counter, steps bool) (*trace.Result, bool) {
	res, ok := x.exec(req, ch, steps)
	if ok {
		x.file(res, ch)
	}
	return res, ok
}

// exec runs the script once and notes what the run says about the whole
// exploration; ok is false for a run that is not an outcome (abandoned,
// or cut short by the end of the exploration).
func (x *explorer) exec(req engine.Request, ch *counter, steps bool) (res *trace.Result, ok bool) {
	x.runs++
	opts := engine.Options{NoEvents: true, Steps: steps}
	if ch != nil {
		opts.Chooser = ch
	}
	ctx := x.ctx
	res = engine.RunWith(ctx, req, opts, nil)
	switch {
	case res.Status == trace.StatusStopped && res.Message == engine.AbandonMessage:
		if ch != nil && ch.capped {
			x.capped = true
			if x.limit == "" {
				x.limit = fmt.Sprintf("choice limit reached: an execution made more than %d scheduling choices (under some schedule a thread may spin forever); such executions were cut.", MaxChoices)
			}
		}
		return res, false
	case ctx.Err() != nil:
		x.more()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && x.stopped == "" {
			x.stopped = stopTime
		}
		return res, false
	case res.Status == trace.StatusError:
		// The script or its params are wrong: every run would say so.
		x.fatal = true
	case res.Status == trace.StatusLimit && x.limit == "":
		x.limit = res.Message
		if x.runs == 1 {
			x.fatal = true // the plain run hits it: so would every other
		}
	}
	return res, true
}

// file counts a finished run in its outcome.
func (x *explorer) file(res *trace.Result, ch *counter) {
	preempts, choices := 0, 0
	if ch != nil {
		preempts, choices = ch.preemptions, ch.choices
	}
	x.schedules++
	failed := []string{}
	for _, c := range res.Checks {
		if !c.OK && !slices.Contains(failed, c.Msg) {
			failed = append(failed, c.Msg)
		}
	}
	slices.Sort(failed)
	k := &x.key
	k.Reset()
	k.WriteString(string(res.Status))
	k.WriteByte(0)
	switch res.Status {
	case trace.StatusOK, trace.StatusFailed, trace.StatusDeadlock:
		// The message names threads and cycles that vary with the
		// interleaving; the rest of the key says what differs.
	default:
		k.WriteString(res.Message)
	}
	for _, f := range failed {
		k.WriteByte(0)
		k.WriteString(f)
	}
	k.WriteByte(1)
	for _, c := range res.Cells {
		k.WriteString(c.Name)
		k.WriteByte('=')
		k.WriteString(c.Value.String())
		k.WriteByte(0)
	}
	k.WriteByte(1)
	k.WriteString(res.Output)
	o, ok := x.outcomes[k.String()]
	if !ok {
		o = &Outcome{Status: res.Status, Checks: failed, Cells: res.Cells, Output: res.Output, first: len(x.outcomes), Preemptions: -1}
		x.outcomes[k.String()] = o
	}
	o.Count++
	if o.Preemptions < 0 || preempts < o.Preemptions || (preempts == o.Preemptions && choices < o.choices) {
		o.Message, o.Schedule, o.Preemptions, o.choices = res.Message, res.Schedule, preempts, choices
	}
	if x.opts.UntilFailure && res.Status != trace.StatusOK && x.stopped == "" {
		x.stopped = stopFailure
	}
}

// tally is the counts of the outcomes at some point of an exploration.
type tally struct {
	schedules int
	counts    map[*Outcome]int
}

func (x *explorer) tally() tally {
	t := tally{schedules: x.schedules, counts: make(map[*Outcome]int, len(x.outcomes))}
	for _, o := range x.outcomes {
		t.counts[o] = o.Count
	}
	return t
}

// rollback uncounts the executions filed since t, for a search that will
// run them again; outcomes found since then are dropped until found
// again. Representatives stay: each is still a schedule of its outcome.
func (x *explorer) rollback(t tally) {
	x.schedules = t.schedules
	for k, o := range x.outcomes {
		if n, ok := t.counts[o]; ok {
			o.Count = n
		} else {
			delete(x.outcomes, k)
		}
	}
}

func (x *explorer) report() *Report {
	if x.cancel != nil {
		x.cancel()
	}
	r := &Report{
		Strategy:  x.opts.Strategy,
		Mode:      string(x.req.Mode),
		Schedules: x.schedules,
		Runs:      x.runs,
		Complete:  x.complete && x.stopped == "" && !x.fatal && !x.capped,
		ElapsedNs: time.Since(x.start).Nanoseconds(),
		Bound:     x.bound,
		Guarantee: x.guarantee,
		Limit:     x.limit,
		Stopped:   x.stopped,
		Outcomes:  make([]*Outcome, 0, len(x.outcomes)),
	}
	if x.stopped == stopTime && x.opts.TimeoutNs > 0 {
		// Which limit stopped it, first, then the per-run one, if any.
		r.Limit = strings.TrimSpace(fmt.Sprintf("The exploration reached its time limit of %s. %s", time.Duration(x.opts.TimeoutNs), x.limit))
	}
	for _, o := range x.outcomes {
		r.Outcomes = append(r.Outcomes, o)
	}
	slices.SortFunc(r.Outcomes, func(a, b *Outcome) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return a.first - b.first
	})
	return r
}

// counter wraps a chooser to count the choices and preemptions of a run:
// a preemption is a choice of another thread when the running one could
// have gone on without waiting.
type counter struct {
	inner       engine.Chooser
	choices     int
	preemptions int
	capped      bool
}

func (c *counter) reset(inner engine.Chooser) { *c = counter{inner: inner} }

func (c *counter) Choose(ch *engine.Choice) int {
	if c.choices >= MaxChoices {
		c.capped = true
		return engine.Abandon
	}
	id := c.inner.Choose(ch)
	c.choices++
	if cur := enabledCurrent(ch); cur >= 0 && id != cur && id != engine.Abandon {
		c.preemptions++
	}
	return id
}

// Finish passes the last steps on to a chooser that wants them.
func (c *counter) Finish(steps []engine.Step) {
	if f, ok := c.inner.(engine.Finisher); ok {
		f.Finish(steps)
	}
}
