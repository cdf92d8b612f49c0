package scenarios_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// goalStatus is the status a run ends with when a challenge's goal
// happened.
var goalStatus = map[string]trace.Status{
	"deadlock": trace.StatusDeadlock,
	"fail":     trace.StatusFailed,
}

// maxPicks bounds the search for the fewest picks: a challenge a person
// solves by hand takes far fewer.
const maxPicks = 16

// prefixChooser picks the threads of a prefix, then notes who could run
// at the next choice and abandons the run.
type prefixChooser struct {
	prefix []int
	next   []int // the runnable at the choice after the prefix
}

func (c *prefixChooser) Choose(ch *engine.Choice) int {
	if ch.N < len(c.prefix) {
		return c.prefix[ch.N]
	}
	for _, p := range ch.Runnable {
		c.next = append(c.next, p.Th)
	}
	return engine.Abandon
}

// fewestPicks searches the picks breadth first, as a person at the page
// makes them (one pick at every choice), and returns the fewest that make
// the run end with want, with the schedule they make, or -1 when no
// sequence of up to maxPicks picks does.
func fewestPicks(t *testing.T, s *scenarios.Scenario, want trace.Status) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	level := [][]int{nil}
	for picks := 0; picks <= maxPicks && len(level) > 0; picks++ {
		var next [][]int
		for _, prefix := range level {
			ch := &prefixChooser{prefix: prefix}
			req := engine.Request{Scenario: s.ID, Source: s.Source, Mode: trace.ModeSim}
			res := engine.RunWith(ctx, req, engine.Options{Chooser: ch, NoEvents: true}, nil)
			switch {
			case res.Status == want:
				return picks, res.Schedule
			case res.Status == trace.StatusStopped && ch.next != nil:
				for _, th := range ch.next {
					next = append(next, append(slices.Clip(prefix), th))
				}
			case res.Status == trace.StatusStopped, res.Status == trace.StatusError, res.Status == trace.StatusTimeout:
				t.Fatalf("Run(%q, picks %v) = %v (%s), want it to run", s.ID, prefix, res.Status, res.Message)
			}
		}
		level = next
	}
	return -1, ""
}

// challenges are the built-in scenarios with a goal.
func challenges(t *testing.T) []*scenarios.Scenario {
	t.Helper()
	var out []*scenarios.Scenario
	for _, s := range builtin(t).All() {
		if s.Goal != "" {
			out = append(out, s)
		}
	}
	return out
}

// TestChallengesShortest checks each challenge's shortest against a
// breadth-first search over the picks: the goal is reached in exactly
// that many picks and in no fewer.
func TestChallengesShortest(t *testing.T) {
	all := challenges(t)
	if len(all) < 8 {
		t.Errorf("the catalogue has %d challenges, want at least 8", len(all))
	}
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			n, schedule := fewestPicks(t, s, goalStatus[s.Goal])
			if n != s.Shortest {
				t.Errorf("fewestPicks(%q, %s) = %d (schedule %s), want shortest = %d as the script says", s.ID, s.Goal, n, schedule, s.Shortest)
			}
		})
	}
}

// TestChallengesFixed checks that each challenge names a fix in the
// catalogue, with no goal of its own, and that no schedule of the fix
// reaches the challenge's goal: dfs explores it completely.
func TestChallengesFixed(t *testing.T) {
	cat := builtin(t)
	for _, s := range challenges(t) {
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			fix, ok := cat.Get(s.Fix)
			if !ok {
				t.Fatalf("%s: fix = %q, which is not in the catalogue", s.ID, s.Fix)
			}
			if fix.Goal != "" || fix.Topic != s.Topic {
				t.Errorf("%s's fix %s has goal %q and topic %q, want no goal and the topic %q", s.ID, fix.ID, fix.Goal, fix.Topic, s.Topic)
			}
			if len(s.Hints) < 2 || len(s.Hints) > 3 {
				t.Errorf("%s has %d hints, want 2 or 3", s.ID, len(s.Hints))
			}
			preemptions := explore.MaxPreemptions
			req := engine.Request{Scenario: fix.ID, Source: fix.Source, Mode: trace.ModeSim}
			rep, err := explore.Explore(context.Background(), req, explore.Options{Strategy: explore.DFS, Budget: 200000, Preemptions: &preemptions}, nil)
			if err != nil {
				t.Fatalf("Explore(%q, dfs) error = %v", fix.ID, err)
			}
			if !rep.Complete {
				t.Errorf("Explore(%q, dfs) covered %d schedules, complete = false (stopped: %s), want complete", fix.ID, rep.Schedules, rep.Stopped)
			}
			for _, o := range rep.Outcomes {
				if o.Status != trace.StatusOK {
					t.Errorf("Explore(%q, dfs) found %v (%s) in %d schedules, e.g. %s; want only ok", fix.ID, o.Status, o.Message, o.Count, o.Schedule)
				}
			}
		})
	}
}
