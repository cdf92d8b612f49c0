// Package explore runs one scenario script many times, each run under a
// different interleaving, and groups the runs by how they ended: the
// answer to "which outcomes can this program have, and how do I see each
// one?". A strategy is an engine.Chooser over repeated sim-mode runs:
//
//   - dfs: stateless systematic depth-first search over the choices,
//     iterative on a preemption bound (0, 1, ... as CHESS does), with
//     sleep sets so that independent steps of different threads are not
//     permuted. When it finishes within its budget with nothing cut by
//     the bound, every execution of the script (up to that reduction) was
//     covered: a proof for this script and these params.
//   - pct: probabilistic concurrency testing (Burckhardt et al., ASPLOS
//     2010): random thread priorities with d-1 random priority change
//     points; each execution finds a bug of depth d with probability at
//     least 1/(n*k^(d-1)), for n threads and k steps.
//   - random: the seeded scheduler of sim mode, seed after seed.
//   - repeat: real runs in os or green mode, the same grouping (JCStress
//     style): how often does each outcome happen on real threads?
//
// Each outcome keeps a count and one representative schedule, the one
// with the fewest preemptions, then the fewest choices; replaying it in
// sim mode gives exactly that outcome. Runs record no events: the replay
// of a representative shows them.
package explore

import (
	"context"
	"fmt"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// The strategies.
const (
	DFS    = "dfs"
	PCT    = "pct"
	Random = "random"
	Repeat = "repeat"
)

// Defaults and ranges of the options.
const (
	DefaultBudget      = 10000
	MaxBudget          = 1000000
	DefaultPreemptions = 2
	MaxPreemptions     = 20
	DefaultDepth       = 3
	MaxDepth           = 10
	// MaxChoices cuts an execution that makes more choices than this: a
	// schedule under which a thread spins forever would never end.
	MaxChoices = 100000
)

// Options is what to explore and how far. Zero values mean defaults.
type Options struct {
	Strategy    string `json:"strategy"`
	Budget      int    `json:"budget,omitempty"`       // executions (runs of the engine)
	Preemptions *int   `json:"preemptions,omitempty"`  // dfs: the largest preemption bound
	Depth       int    `json:"depth,omitempty"`        // pct: the bug depth d
	Seed        int64  `json:"seed,omitempty"`         // pct, random: the first seed
	TimeoutNs   int64  `json:"timeout_ns,omitempty"`   // wall time; 0: until the budget or ctx ends
	NoReduction bool   `json:"no_reduction,omitempty"` // dfs: permute independent steps too (for measuring)
	// UntilFailure stops at the first execution that does not end ok:
	// "find a failure". Under dfs, whose bounds grow from 0, that one has
	// the fewest preemptions any failure needs.
	UntilFailure bool `json:"until_failure,omitempty"`
}

// Check reports options out of range, naming the option and its range.
func (o Options) Check() error {
	_, err := o.normalize()
	return err
}

// normalize fills in defaults and checks ranges; the error names the
// option and its range.
func (o Options) normalize() (Options, error) {
	if o.Strategy == "" {
		o.Strategy = DFS
	}
	switch o.Strategy {
	case DFS, PCT, Random, Repeat:
	default:
		return o, fmt.Errorf("unknown strategy %q: use dfs, pct, random or repeat", o.Strategy)
	}
	if o.Budget == 0 {
		o.Budget = DefaultBudget
	}
	if o.Budget < 1 || o.Budget > MaxBudget {
		return o, fmt.Errorf("budget must be from 1 to %d executions, not %d", MaxBudget, o.Budget)
	}
	if o.Preemptions == nil {
		p := DefaultPreemptions
		o.Preemptions = &p
	}
	if p := *o.Preemptions; p < 0 || p > MaxPreemptions {
		return o, fmt.Errorf("preemptions must be from 0 to %d, not %d", MaxPreemptions, p)
	}
	if o.Depth == 0 {
		o.Depth = DefaultDepth
	}
	if o.Depth < 1 || o.Depth > MaxDepth {
		return o, fmt.Errorf("depth must be from 1 to %d, not %d", MaxDepth, o.Depth)
	}
	if o.TimeoutNs < 0 {
		return o, fmt.Errorf("timeout must not be negative, not %d ns", o.TimeoutNs)
	}
	return o, nil
}

// Report is what an exploration found.
type Report struct {
	Strategy  string     `json:"strategy"`
	Mode      string     `json:"mode"`
	Schedules int        `json:"schedules"` // executions counted in the outcomes
	Runs      int        `json:"runs"`      // engine runs, with those a strategy abandoned as redundant
	Complete  bool       `json:"complete"`  // dfs: every execution was covered (up to reduction)
	ElapsedNs int64      `json:"elapsed_ns"`
	Bound     int        `json:"bound"`               // dfs: the last preemption bound searched
	Guarantee string     `json:"guarantee,omitempty"` // pct: what each execution finds, at least
	Limit     string     `json:"limit,omitempty"`     // the limit that stopped the exploration, then a per-run limit some execution hit, said once
	Stopped   string     `json:"stopped,omitempty"`   // why it ended early: budget, time, stop, limit or failure
	Outcomes  []*Outcome `json:"outcomes"`
}

// Outcome is one way the script can end, and how often it did.
type Outcome struct {
	Count       int               `json:"count"`
	Status      trace.Status      `json:"status"`
	Message     string            `json:"message"`
	Checks      []string          `json:"checks"` // the failed checks' messages
	Cells       []trace.CellValue `json:"cells"`
	Output      string            `json:"output"`
	Schedule    string            `json:"schedule"` // replays this outcome in sim mode
	Preemptions int               `json:"preemptions"`
	choices     int
	first       int // order of discovery, to break ties
}

// Progress is what an exploration has found so far.
type Progress struct {
	Schedules int   `json:"schedules"` // counted so far: dfs's restart steps it back once (see isFresh)
	Runs      int   `json:"runs"`      // engine runs so far, what the budget counts: only grows
	Outcomes  int   `json:"outcomes"`
	ElapsedNs int64 `json:"elapsed_ns"`
}

// ProgressEvery is how often Explore calls its progress callback.
const ProgressEvery = 200 * time.Millisecond

// Explore runs req many times under opts.Strategy. onProgress, if not
// nil, is called every ProgressEvery from the calling goroutine. When ctx
// ends, Explore returns what it found so far. The error is non-nil only
// for options out of range or a strategy that does not fit the mode.
func Explore(ctx context.Context, req engine.Request, opts Options, onProgress func(Progress)) (*Report, error) {
	return explore(ctx, req, opts, onProgress, 0)
}

func explore(ctx context.Context, req engine.Request, opts Options, onProgress func(Progress), keepFrames int) (*Report, error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	if req.Mode == "" {
		req.Mode = trace.ModeSim
		if opts.Strategy == Repeat {
			req.Mode = trace.ModeOS
		}
	}
	switch {
	case opts.Strategy == Repeat && req.Mode == trace.ModeSim:
		return nil, fmt.Errorf("strategy repeat runs on real threads: use mode os or green (in sim mode, use dfs, pct or random)")
	case opts.Strategy != Repeat && req.Mode != trace.ModeSim:
		return nil, fmt.Errorf("strategy %s needs sim mode, not %s: use repeat for real threads", opts.Strategy, req.Mode)
	}
	req.Schedule = ""
	x := newExplorer(ctx, req, opts, onProgress)
	x.keepFrames = keepFrames
	switch opts.Strategy {
	case DFS:
		x.dfs()
	case PCT:
		x.pct()
	case Random:
		x.random()
	default:
		x.repeat()
	}
	return x.report(), nil
}
