package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// paramFlags collects repeated -p name=value flags.
// scriptFlags adds the flags every command that runs a script takes:
// the sandbox's limits, the course folder (held to the same -max-script)
// and -p params.
func scriptFlags(fs *flag.FlagSet) (*sandboxOpts, catalogueFlags, paramFlags) {
	sb := sandboxFlags(fs)
	cf := catalogueFlagsOf(fs, sb.script)
	params := paramFlags{}
	fs.Var(params, "p", "set a param: -p name=value (repeatable)")
	return sb, cf, params
}

// parseOneScript parses a command's flags and wants exactly one scenario
// or file after them; on a usage error it has said why.
func parseOneScript(fs *flag.FlagSet, cmd string, args []string, stderr io.Writer) bool {
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: interleave %s [flags] SCENARIO|FILE.star\n", cmd)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return false
	}
	if fs.NArg() != 1 {
		if fs.NArg() > 1 {
			fmt.Fprintf(stderr, "interleave %s: unexpected arguments after %s: %s (flags go before the scenario)\n", cmd, fs.Arg(0), strings.Join(fs.Args()[1:], " "))
		}
		fs.Usage()
		return false
	}
	return true
}

type paramFlags map[string]any

func (p paramFlags) String() string { return fmt.Sprint(map[string]any(p)) }

func (p paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, not %q", s)
	}
	p[k] = v
	return nil
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "", "threading mode: os (1:1), green (M:N) or sim (deterministic); by default the scenario's own, as its page opens (os for a script that names none)")
	procs := fs.Int("procs", limits.DefaultProcs, fmt.Sprintf("OS threads in green mode, 1 to %d", limits.MaxProcs))
	seed := fs.Int64("seed", 0, "scheduler seed in sim mode")
	schedule := fs.String("schedule", "", "replay this schedule in sim mode")
	format := fs.String("format", "text", "output: text, json or trace (Chrome Trace Event JSON)")
	exitStatus := fs.Bool("exit-status", false, "exit 1 when the run's status is not ok (failed, deadlock, panic, error, timeout, limit), for autograders")
	sb, cf, params := scriptFlags(fs)
	if !parseOneScript(fs, "run", args, stderr) {
		return 2
	}
	var m trace.Mode
	if *mode != "" {
		var err error
		if m, err = trace.ParseMode(*mode); err != nil {
			fmt.Fprintf(stderr, "interleave run: %v\n", err)
			return 2
		}
	}
	req := engine.Request{Seed: *seed, Schedule: *schedule, Params: params}
	sc, err := loadScript(fs.Arg(0), cf, &req)
	if err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
		return 2
	}
	if m == "" {
		m = defaultMode(sc)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := checkRunFlags(set, m, *format, *procs); err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
		return 2
	}
	req.Mode = m
	if m == trace.ModeGreen {
		req.Procs = *procs
	}
	if sc != nil && !slices.Contains(sc.Modes, string(m)) {
		fmt.Fprintf(stderr, "interleave run: note: %s is meant for %s mode, not %s; running it anyway\n", req.Scenario, strings.Join(sc.Modes, " and "), m)
	}
	if sc != nil && m == trace.ModeSim && !set["seed"] && !set["schedule"] {
		req.Seed = sc.Seed // the seed its page opens at
	}
	cfg, err := sb.config()
	if err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
		return 2
	}
	cfg.NoProbe = true // one run: its own child proves the namespaces
	// Only the json and trace formats print events; text needs none, and
	// a million of them is a lot of memory for an autograder to hold.
	res, err := runOnce(cfg, req, *format != "text", stderr)
	if err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
		return 1
	}
	if err := writeResult(stdout, *format, res); err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
		return 1
	}
	if *exitStatus && res.Status != trace.StatusOK {
		return 1
	}
	return 0
}

// defaultMode is the mode a scenario's page opens in, the first it
// names, so that a run from the command line shows what the page shows;
// os for a script whose metadata names none or could not be read.
func defaultMode(sc *scenarios.Scenario) trace.Mode {
	if sc != nil && len(sc.Modes) > 0 {
		if m, err := trace.ParseMode(sc.Modes[0]); err == nil {
			return m
		}
	}
	return trace.ModeOS
}

// checkRunFlags refuses a format run does not write and flags (set names
// those given) that do not apply to the mode.
func checkRunFlags(set map[string]bool, m trace.Mode, format string, procs int) error {
	switch format {
	case "text", "json", "trace":
	default:
		return fmt.Errorf("unknown format %q: use text, json or trace", format)
	}
	switch {
	case set["procs"] && m != trace.ModeGreen:
		return fmt.Errorf("-procs only applies in green mode (-mode green)")
	case set["procs"] && (procs < 1 || procs > limits.MaxProcs):
		return fmt.Errorf("-procs must be from 1 to %d, not %d", limits.MaxProcs, procs)
	case (set["schedule"] || set["seed"]) && m != trace.ModeSim:
		return fmt.Errorf("-seed and -schedule only apply in sim mode (-mode sim)")
	}
	return nil
}

// runOnce runs req in a sandbox set up by cfg, until it ends or the user
// interrupts it, keeping its events if asked. The error is a sandbox that
// could not be set up; a run that failed to start is reported on stderr
// and still has its result.
func runOnce(cfg sandbox.Config, req engine.Request, keepEvents bool, stderr io.Writer) (*trace.Result, error) {
	runner, err := sandbox.New(cfg)
	if err != nil {
		return nil, err
	}
	defer runner.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var events []trace.Event
	res, err := runner.Run(ctx, req, func(batch []trace.Event) {
		if keepEvents {
			events = append(events, batch...)
		}
	})
	if err != nil {
		fmt.Fprintf(stderr, "interleave run: %v\n", err)
	}
	res.Events = events
	return res, nil
}

// loadScript fills the request's script from a catalogue id (built-in or
// from a course folder) or a file, and returns the modes the scenario is
// meant for (none for a file).
// loadScript fills in the request's script from a catalogue id or a
// file, and gives the script's metadata: nil for a file whose metadata
// is wrong (the run itself reports where).
func loadScript(arg string, cf catalogueFlags, req *engine.Request) (*scenarios.Scenario, error) {
	if strings.HasSuffix(arg, ".star") || strings.ContainsRune(arg, filepath.Separator) {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("read script: %w", err)
		}
		req.Scenario = strings.TrimSuffix(filepath.Base(arg), ".star")
		req.Source = string(b)
		sc, _ := scenarios.Parse(req.Scenario, req.Source)
		return sc, nil
	}
	cat, err := cf.open()
	if err != nil {
		return nil, err
	}
	s, ok := cat.Get(arg)
	if !ok {
		return nil, fmt.Errorf("no scenario %q (see interleave list)", arg)
	}
	req.Scenario, req.Source = s.ID, s.Source
	return s, nil
}

func writeResult(w io.Writer, format string, res *trace.Result) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "trace":
		return trace.WriteChrome(w, res)
	}
	return writeText(w, res)
}

func writeText(w io.Writer, res *trace.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s (%s mode", res.Scenario, res.Mode)
	if res.Mode == trace.ModeSim {
		fmt.Fprintf(tw, ", seed %d", res.Seed)
	}
	fmt.Fprintf(tw, "): %s\n", res.Status)
	if res.Message != "" {
		fmt.Fprintf(tw, "%s\n", res.Message)
	}
	if res.Error != nil && !strings.Contains(strings.ToLower(res.Message), fmt.Sprintf("line %d, column %d", res.Error.Line, res.Error.Col)) {
		fmt.Fprintf(tw, "at line %d, column %d: %s\n", res.Error.Line, res.Error.Col, res.Error.Msg)
	}
	if res.Deadlock != nil {
		fmt.Fprintln(tw, "\nwait-for cycle:")
		for _, e := range res.Deadlock.Cycle {
			switch {
			case e.Holder < 0:
				// A channel has no holder: nobody is left to use it.
				fmt.Fprintf(tw, "  %s\twaits to %s %s\t(no thread can)\n", e.Thread, e.Op, e.Obj)
			case e.Op == "join":
				fmt.Fprintf(tw, "  %s\twaits to join %s\t\n", e.Thread, e.Obj)
			default:
				fmt.Fprintf(tw, "  %s\twaits to %s %s,\theld by %s\n", e.Thread, e.Op, e.Obj, e.HolderName)
			}
		}
	}
	if len(res.Checks) > 0 {
		fmt.Fprintln(tw, "\nchecks:")
		for _, c := range res.Checks {
			mark := "ok    "
			if !c.OK {
				mark = "FAILED"
			}
			fmt.Fprintf(tw, "  %s\t%s\t(line %d)\n", mark, c.Msg, c.Line)
		}
	}
	writeRaces(tw, res)
	if len(res.Cells) > 0 {
		fmt.Fprintln(tw, "\ncells:")
		for _, c := range res.Cells {
			fmt.Fprintf(tw, "  %s\t= %s\n", c.Name, c.Value)
		}
	}
	if len(res.Threads) > 0 {
		fmt.Fprintln(tw, "\nthreads:")
		for _, t := range res.Threads {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%d events\t%s\n", t.ID, t.Name, t.State, t.Events, t.Panic)
		}
	}
	if res.Output != "" {
		fmt.Fprintf(tw, "\noutput:\n%s", res.Output)
		if !strings.HasSuffix(res.Output, "\n") {
			fmt.Fprintln(tw)
		}
	}
	fmt.Fprintf(tw, "\n%d events (%d dropped), %s wall, %s CPU\n", res.Stats.Events, res.Stats.Dropped,
		time.Duration(res.Stats.WallNs).Round(time.Microsecond), time.Duration(res.Stats.CPUNs).Round(time.Microsecond))
	if res.Schedule != "" {
		fmt.Fprintf(tw, "schedule: %s\n", res.Schedule)
	}
	return tw.Flush()
}

// racesShown is how many findings of each kind the text output prints;
// the JSON result has the first trace.RaceSummary.Limit of each.
const racesShown = 5

// writeRaces prints the analysis of the run: the count of each kind of
// finding per object, then the first few in full.
func writeRaces(w io.Writer, res *trace.Result) {
	sum := res.RaceSummary
	if sum == nil {
		return
	}
	fmt.Fprintln(w, "\nraces:")
	for _, c := range sum.Counts {
		fmt.Fprintf(w, "  %s\t%s\t%d\n", c.Kind, c.Obj, c.Count)
	}
	shown := map[string]int{}
	for _, r := range res.Races {
		if shown[r.Kind]++; shown[r.Kind] <= racesShown {
			fmt.Fprintf(w, "  - %s\n", r.Text)
		}
	}
	if len(res.Races) > 0 && sum.Total > len(shown)*racesShown {
		fmt.Fprintf(w, "  (the first %d of each kind are shown; -format json has the first %d)\n", racesShown, sum.Limit)
	}
	if sum.Luck != "" {
		fmt.Fprintf(w, "  %s\n", sum.Luck)
	}
}
