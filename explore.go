package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// exploreOpts are explore's own flags.
type exploreOpts struct {
	strategy, mode, format *string
	budget, preemptions    *int
	depth                  *int
	seed                   *int64
	untilFailure           *bool
}

func exploreFlags(fs *flag.FlagSet) *exploreOpts {
	return &exploreOpts{
		strategy:     fs.String("strategy", explore.DFS, "dfs (systematic, can prove), pct (random priorities), random (seed after seed) or repeat (real threads)"),
		mode:         fs.String("mode", "", "sim for dfs, pct and random (the default); os (the default) or green for repeat"),
		format:       fs.String("format", "text", "output: text or json"),
		budget:       fs.Int("budget", explore.DefaultBudget, fmt.Sprintf("executions at most (1 to %d)", explore.MaxBudget)),
		preemptions:  fs.Int("preemptions", explore.DefaultPreemptions, fmt.Sprintf("dfs: the largest preemption bound (0 to %d)", explore.MaxPreemptions)),
		depth:        fs.Int("depth", explore.DefaultDepth, fmt.Sprintf("pct: the bug depth (1 to %d)", explore.MaxDepth)),
		seed:         fs.Int64("seed", 0, "pct and random: the first seed"),
		untilFailure: fs.Bool("until-failure", false, "stop at the first execution that does not end ok (find a failure)"),
	}
}

func exploreCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	xo := exploreFlags(fs)
	sb, cf, params := scriptFlags(fs)
	if !parseOneScript(fs, "explore", args, stderr) {
		return 2
	}
	usageErr := func(err error) int {
		fmt.Fprintf(stderr, "interleave explore: %v\n", err)
		return 2
	}
	req, opts, err := xo.request(params)
	if err != nil {
		return usageErr(err)
	}
	if _, err := loadScript(fs.Arg(0), cf, &req); err != nil {
		return usageErr(err)
	}
	cfg, err := sb.config()
	if err != nil {
		return usageErr(err)
	}
	runner, err := sandbox.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "interleave explore: %v\n", err)
		return 1
	}
	defer runner.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := runner.Explore(ctx, req, opts, nil)
	if err != nil {
		fmt.Fprintf(stderr, "interleave explore: %v\n", err)
		return 1
	}
	if *xo.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeHistogram(stdout, req, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "interleave explore: %v\n", err)
		return 1
	}
	return 0
}

// request checks the flags and turns them into a request and options.
func (xo *exploreOpts) request(params paramFlags) (engine.Request, explore.Options, error) {
	opts := explore.Options{Strategy: *xo.strategy, Budget: *xo.budget, Preemptions: xo.preemptions, Depth: *xo.depth, Seed: *xo.seed, UntilFailure: *xo.untilFailure}
	// In Options zero means the default; on the command line it is out
	// of range.
	switch {
	case *xo.budget == 0:
		return engine.Request{}, opts, fmt.Errorf("budget must be from 1 to %d executions, not 0", explore.MaxBudget)
	case *xo.depth == 0:
		return engine.Request{}, opts, fmt.Errorf("depth must be from 1 to %d, not 0", explore.MaxDepth)
	}
	if err := opts.Check(); err != nil {
		return engine.Request{}, opts, err
	}
	switch *xo.format {
	case "text", "json":
	default:
		return engine.Request{}, opts, fmt.Errorf("unknown format %q: use text or json", *xo.format)
	}
	mode := *xo.mode
	if mode == "" {
		mode = string(trace.ModeSim)
		if opts.Strategy == explore.Repeat {
			mode = string(trace.ModeOS)
		}
	}
	m, err := trace.ParseMode(mode)
	if err != nil {
		return engine.Request{}, opts, err
	}
	switch {
	case opts.Strategy == explore.Repeat && m == trace.ModeSim:
		return engine.Request{}, opts, fmt.Errorf("-strategy repeat runs on real threads: use -mode os or green")
	case opts.Strategy != explore.Repeat && m != trace.ModeSim:
		return engine.Request{}, opts, fmt.Errorf("-strategy %s runs in sim mode, not %s: use -strategy repeat for real threads", opts.Strategy, m)
	}
	return engine.Request{Mode: m, Params: params}, opts, nil
}

// writeHistogram prints the outcomes as a person reads them: one line
// each, "counter = 3 · check failed · 41%  (schedule 0*3.1.0*2, 1
// preemption)", after a verdict.
func writeHistogram(w io.Writer, req engine.Request, rep *explore.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s mode, %s", req.Scenario, rep.Mode, rep.Strategy)
	if rep.Strategy == explore.DFS {
		fmt.Fprintf(&b, ", preemption bound %d", rep.Bound)
	}
	fmt.Fprintf(&b, "): %s", plural(rep.Schedules, "execution"))
	if rep.Runs > rep.Schedules {
		// A large dfs runs lower bounds' executions again, uncounted.
		fmt.Fprintf(&b, " (%d run)", rep.Runs)
	}
	fmt.Fprintf(&b, " in %s\n", time.Duration(rep.ElapsedNs).Round(time.Millisecond))
	b.WriteString(verdict(rep) + "\n")
	if rep.Guarantee != "" {
		b.WriteString(rep.Guarantee + ".\n")
	}
	if rep.Limit != "" {
		b.WriteString("note: " + rep.Limit + "\n")
	}
	b.WriteString("\n")
	for _, o := range rep.Outcomes {
		fmt.Fprintf(&b, "  %s · %s  (%s", outcomeLabel(o), percent(o.Count, rep.Schedules), plural(o.Count, "execution"))
		if o.Schedule != "" {
			fmt.Fprintf(&b, "; schedule %s, %s", o.Schedule, plural(o.Preemptions, "preemption"))
		}
		b.WriteString(")\n")
		if o.Status != trace.StatusOK && o.Message != "" {
			fmt.Fprintf(&b, "      %s\n", o.Message)
		}
	}
	if len(rep.Outcomes) > 0 && rep.Outcomes[0].Schedule != "" {
		fmt.Fprintf(&b, "\nreplay an outcome: interleave run -mode sim -schedule SCHEDULE%s %s\n", paramArgs(req.Params), req.Scenario)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// verdict is the exploration's conclusion in one sentence.
func verdict(rep *explore.Report) string {
	failing := 0
	for _, o := range rep.Outcomes {
		if o.Status != trace.StatusOK {
			failing++
		}
	}
	switch {
	case rep.Complete && failing == 0:
		return fmt.Sprintf("verified: all %s end ok.", plural(rep.Schedules, "distinct execution"))
	case rep.Complete:
		return fmt.Sprintf("complete: every execution was covered (up to reordering independent steps); %d of %s fail.", failing, plural(len(rep.Outcomes), "outcome"))
	case rep.Stopped == "failure":
		return "stopped at the first failure, as asked."
	case rep.Strategy != explore.DFS && (rep.Stopped == "budget" || rep.Stopped == ""):
		return "a sample, not a proof: only dfs can cover every execution."
	case rep.Stopped == "budget":
		return "not complete: the budget of executions ran out (raise -budget)."
	case rep.Stopped == "time":
		return "not complete: the time limit ran out (raise -explore-timeout)."
	case rep.Stopped != "" && rep.Strategy == explore.DFS:
		return "not complete: stopped early (" + rep.Stopped + ")."
	case rep.Strategy == explore.DFS && rep.Limit != "":
		return "not complete: some executions were cut by a limit."
	case rep.Strategy == explore.DFS:
		return "not complete: executions needing more preemptions than the bound were not explored (raise -preemptions)."
	}
	return "a sample, not a proof: stopped early (" + rep.Stopped + ")."
}

// outcomeLabel names an outcome by its cells and its status.
func outcomeLabel(o *explore.Outcome) string {
	var parts []string
	for _, c := range o.Cells {
		parts = append(parts, c.Name+" = "+c.Value.String())
	}
	switch o.Status {
	case trace.StatusFailed:
		parts = append(parts, "check failed")
	default:
		parts = append(parts, string(o.Status))
	}
	if o.Output != "" {
		out := strings.ReplaceAll(strings.TrimSuffix(o.Output, "\n"), "\n", " ⏎ ")
		if r := []rune(out); len(r) > 60 {
			out = string(r[:59]) + "…"
		}
		parts = append(parts, "printed "+out)
	}
	return strings.Join(parts, " · ")
}

func percent(n, of int) string {
	if of == 0 {
		return "0%"
	}
	p := 100 * float64(n) / float64(of)
	if p < 1 && n > 0 {
		return fmt.Sprintf("%.2g%%", p)
	}
	return fmt.Sprintf("%.0f%%", p)
}

// paramArgs renders params back as -p flags, in a fixed order.
func paramArgs(params map[string]any) string {
	var names []string
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, " -p %s=%v", k, params[k])
	}
	return b.String()
}

// plural says "1 execution", "2 executions".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
