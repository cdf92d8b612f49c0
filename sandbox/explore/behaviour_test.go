package explore_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// withoutTime is a report's JSON without its elapsed time.
func withoutTime(t *testing.T, rep *explore.Report) string {
	t.Helper()
	r := *rep
	r.ElapsedNs = 0
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeterministic(t *testing.T) {
	req := scenario(t, "lost-update", map[string]any{"threads": 3, "iterations": 2})
	for _, opts := range []explore.Options{
		{Strategy: explore.DFS, Budget: 300, Preemptions: intp(3)},
		{Strategy: explore.PCT, Budget: 300, Depth: 2, Seed: 7},
		{Strategy: explore.Random, Budget: 300, Seed: 7},
	} {
		t.Run(opts.Strategy, func(t *testing.T) {
			a, b := run(t, req, opts), run(t, req, opts)
			if withoutTime(t, a) != withoutTime(t, b) {
				t.Errorf("two explorations differ:\n%s\n%s", withoutTime(t, a), withoutTime(t, b))
			}
			if a.Runs != 300 || a.Stopped != "budget" {
				t.Errorf("Explore ran %d executions and stopped for %q, want 300 and budget", a.Runs, a.Stopped)
			}
		})
	}
}

// Replaying an outcome's schedule in sim mode gives exactly that outcome.
func TestRepresentativesReplay(t *testing.T) {
	for _, c := range []struct {
		id     string
		params map[string]any
		opts   explore.Options
	}{
		{"lost-update", map[string]any{"threads": 2, "iterations": 2}, explore.Options{Strategy: explore.DFS, Preemptions: intp(20)}},
		{"dining-philosophers", map[string]any{"philosophers": 3, "meals": 1, "hesitate": false}, explore.Options{Strategy: explore.DFS, Budget: 2000}},
		{"heisenbug", nil, explore.Options{Strategy: explore.PCT, Budget: 200}},
		{"check-then-act", nil, explore.Options{Strategy: explore.Random, Budget: 200}},
	} {
		t.Run(c.id+"/"+c.opts.Strategy, func(t *testing.T) {
			req := scenario(t, c.id, c.params)
			rep := run(t, req, c.opts)
			if len(rep.Outcomes) < 2 {
				t.Fatalf("Explore(%s) = %s, want at least two outcomes", c.id, summary(rep))
			}
			for _, o := range rep.Outcomes {
				r := req
				r.Schedule = o.Schedule
				res := engine.Run(context.Background(), r, nil)
				var failed []string
				for _, ch := range res.Checks {
					if !ch.OK && !slices.Contains(failed, ch.Msg) {
						failed = append(failed, ch.Msg)
					}
				}
				slices.Sort(failed)
				if res.Status != o.Status || !slices.Equal(res.Cells, o.Cells) || !slices.Equal(failed, o.Checks) || res.Output != o.Output || res.Message != o.Message {
					t.Errorf("replay of %q = %s %v %v %q, want %s %v %v %q", o.Schedule, res.Status, res.Cells, failed, res.Message, o.Status, o.Cells, o.Checks, o.Message)
				}
			}
		})
	}
}

// The representative of an outcome is one with the fewest preemptions.
func TestRepresentativeFewestPreemptions(t *testing.T) {
	rep := run(t, scenario(t, "lost-update", map[string]any{"threads": 2, "iterations": 2}), explore.Options{Strategy: explore.DFS, Preemptions: intp(20)})
	for _, o := range rep.Outcomes {
		// counter = 3 needs two switches in the middle of an update: A reads,
		// B reads and writes, A writes (one lost), then the rest in turn.
		want := map[string]int{"4": 0, "2": 1, "3": 2}[o.Cells[0].Value.String()]
		if o.Preemptions != want {
			t.Errorf("outcome counter = %s has a representative with %d preemptions, want %d", o.Cells[0].Value, o.Preemptions, want)
		}
	}
}

func TestOptionsOutOfRange(t *testing.T) {
	req := scenario(t, "lost-update", nil)
	for _, c := range []struct {
		opts explore.Options
		want string
	}{
		{explore.Options{Budget: -1}, "budget must be from 1 to 1000000"},
		{explore.Options{Budget: explore.MaxBudget + 1}, "budget must be from 1 to 1000000"},
		{explore.Options{Preemptions: intp(-1)}, "preemptions must be from 0 to 20"},
		{explore.Options{Preemptions: intp(21)}, "preemptions must be from 0 to 20"},
		{explore.Options{Strategy: explore.PCT, Depth: 11}, "depth must be from 1 to 10"},
		{explore.Options{Strategy: "bfs"}, "unknown strategy"},
	} {
		_, err := explore.Explore(context.Background(), req, c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Explore(%+v) error = %v, want %q", c.opts, err, c.want)
		}
	}
	req.Mode = trace.ModeOS
	if _, err := explore.Explore(context.Background(), req, explore.Options{}, nil); err == nil || !strings.Contains(err.Error(), "sim mode") {
		t.Errorf("Explore(dfs, os mode) error = %v, want one asking for sim mode", err)
	}
}

// A script whose plain run already hits a limit says so once, and does
// not run again.
func TestLimitSaidOnce(t *testing.T) {
	req := engine.Request{Scenario: "spin", Mode: trace.ModeSim, Limits: limits.Limits{Steps: 10000}, Source: `
def main():
    c = cell("c")
    def spin():
        while True:
            c.get()
    spawn(spin)
    spawn(spin).join()
`}
	rep := run(t, req, explore.Options{Strategy: explore.DFS, Budget: 100})
	if rep.Runs != 1 || !strings.Contains(rep.Limit, "step limit") || len(rep.Outcomes) != 1 || rep.Complete {
		t.Errorf("Explore(spin) = %d runs, limit %q, %s; want 1 run, the step limit named once, not complete", rep.Runs, rep.Limit, summary(rep))
	}
	bad := engine.Request{Scenario: "bad", Mode: trace.ModeSim, Source: "def main():\n    nope()\n"}
	if rep := run(t, bad, explore.Options{}); rep.Runs != 1 || rep.Outcomes[0].Status != trace.StatusError || rep.Complete {
		t.Errorf("Explore(bad script) = %d runs, %s; want 1 run with status error", rep.Runs, summary(rep))
	}
}

func TestCancelReturnsWhatWasFound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	req := scenario(t, "lost-update", map[string]any{"threads": 4, "iterations": 3})
	rep, err := explore.Explore(ctx, req, explore.Options{Strategy: explore.Random, Budget: explore.MaxBudget}, func(p explore.Progress) {
		if calls++; calls == 1 {
			cancel()
		}
	})
	if err != nil || rep.Stopped != "stop" || rep.Schedules == 0 || rep.Complete {
		t.Errorf("Explore(cancelled) = %v, %s; want stopped with what it found", err, summary(rep))
	}
}

func TestRepeatOnRealThreads(t *testing.T) {
	req := scenario(t, "counter-atomic", map[string]any{"threads": 2, "iterations": 50})
	req.Mode = trace.ModeGreen
	rep := run(t, req, explore.Options{Strategy: explore.Repeat, Budget: 20})
	if rep.Schedules != 20 || len(rep.Outcomes) != 1 || rep.Outcomes[0].Status != trace.StatusOK || rep.Outcomes[0].Schedule != "" || rep.Complete {
		t.Errorf("Explore(repeat, green) = %s, want 20 ok executions, no schedule, not complete", summary(rep))
	}
}

// random runs exactly what sim mode runs with the same seeds.
func TestRandomIsSeedAfterSeed(t *testing.T) {
	req := scenario(t, "heisenbug", nil)
	rep := run(t, req, explore.Options{Strategy: explore.Random, Budget: 30, Seed: 100})
	want := map[trace.Status]int{}
	for seed := int64(100); seed < 130; seed++ {
		r := req
		r.Seed = seed
		want[engine.Run(context.Background(), r, nil).Status]++
	}
	got := map[trace.Status]int{}
	for _, o := range rep.Outcomes {
		got[o.Status] += o.Count
	}
	if len(got) != len(want) || got[trace.StatusOK] != want[trace.StatusOK] || got[trace.StatusFailed] != want[trace.StatusFailed] {
		t.Errorf("Explore(random, seeds 100..129) statuses = %v, sim runs of those seeds = %v", got, want)
	}
}

// pct states its guarantee and finds the heisenbug.
func TestPCTFindsTheHeisenbug(t *testing.T) {
	rep := run(t, scenario(t, "heisenbug", nil), explore.Options{Strategy: explore.PCT, Budget: 200, Depth: 2})
	if !strings.Contains(rep.Guarantee, "probability at least 1/(n·k^(d-1))") {
		t.Errorf("pct guarantee = %q, want it stated", rep.Guarantee)
	}
	for _, o := range rep.Outcomes {
		if o.Status == trace.StatusFailed {
			return
		}
	}
	t.Errorf("Explore(pct, heisenbug) = %s, want a failed outcome", summary(rep))
}
