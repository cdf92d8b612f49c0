package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"interleave/sandbox/analysis"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// runScenario runs a scenario of scenarios/lib (or a script given as
// source) and analyses its events.
func runScenario(t testing.TB, name, src string, mode trace.Mode, seed int64, params map[string]any) *trace.Result {
	t.Helper()
	if src == "" {
		b, err := os.ReadFile(filepath.Join("..", "..", "scenarios", "lib", name+".star"))
		if err != nil {
			t.Fatalf("read scenario: %v", err)
		}
		src = string(b)
	}
	var evs []trace.Event
	res := engine.Run(context.Background(), engine.Request{Scenario: name, Source: src, Mode: mode, Seed: seed, Params: params},
		func(b []trace.Event) { evs = append(evs, b...) })
	if res.Status == trace.StatusError {
		t.Fatalf("run %s: %s", name, res.Message)
	}
	analysis.Analyze(evs, res)
	res.Events = evs
	return res
}

func TestSmoke(t *testing.T) {
	res := runScenario(t, "lost-update", "", trace.ModeSim, 1, map[string]any{"threads": 2, "iterations": 50})
	t.Logf("status %s %s", res.Status, res.Message)
	if res.RaceSummary != nil {
		t.Logf("%+v", *res.RaceSummary)
	}
	for _, r := range res.Races {
		t.Logf("%s: %s", r.Kind, r.Text)
	}
}
