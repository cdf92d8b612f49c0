package explore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// lib reads a built-in scenario.
func lib(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "lib", name+".star"))
	if err != nil {
		t.Fatalf("read scenario: %v", err)
	}
	return string(b)
}

func intp(n int) *int { return &n }

func explore1(t testing.TB, req engine.Request, opts explore.Options) *explore.Report {
	t.Helper()
	rep, err := explore.Explore(context.Background(), req, opts, nil)
	if err != nil {
		t.Fatalf("Explore(%s) error = %v", req.Scenario, err)
	}
	return rep
}

func TestDebug(t *testing.T) {
	req := engine.Request{Scenario: "lost-update", Source: lib(t, "lost-update"), Mode: trace.ModeSim, Params: map[string]any{"threads": 2, "iterations": 2}}
	for _, nr := range []bool{false, true} {
		rep := explore1(t, req, explore.Options{Strategy: "dfs", Preemptions: intp(20), NoReduction: nr})
		t.Logf("noreduction=%v complete=%v schedules=%d runs=%d bound=%d stopped=%q", nr, rep.Complete, rep.Schedules, rep.Runs, rep.Bound, rep.Stopped)
		for _, o := range rep.Outcomes {
			t.Logf("  %d %s %v %v %s p=%d", o.Count, o.Status, o.Cells, o.Checks, o.Schedule, o.Preemptions)
		}
	}
}
