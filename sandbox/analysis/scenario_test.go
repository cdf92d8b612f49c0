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

// flagLock guards a counter with a boolean cell used as a lock: the
// check of the flag and its set are two steps, so two threads can both
// find it clear.
const flagLock = `
params = {"threads": param(2), "iterations": param(50)}

def main(threads, iterations):
    busy = cell("busy", False)
    counter = cell("counter", 0)
    def worker():
        for _ in range(iterations):
            while busy.get():
                yield_now()
            busy.set(True)
            v = counter.get()
            counter.set(v + 1)
            busy.set(False)
    handles = [spawn(worker, name = "worker-%d" % i) for i in range(threads)]
    for h in handles:
        h.join()
    check(counter.get() == threads * iterations, "no update is lost")
`

// runScenario runs a scenario of scenarios/lib (or the script src) and
// analyses its events.
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

// has reports whether res has a finding of kind on obj.
func has(res *trace.Result, kind, obj string) bool {
	if res.RaceSummary == nil {
		return false
	}
	for _, c := range res.RaceSummary.Counts {
		if c.Kind == kind && c.Obj == obj {
			return true
		}
	}
	return false
}

func TestScenariosReported(t *testing.T) {
	tests := []struct {
		name, src string
		params    map[string]any
		kind, obj string
	}{
		{"lost-update", "", map[string]any{"threads": 2, "iterations": 200}, trace.RaceLostUpdate, "counter"},
		{"lost-update", "", map[string]any{"threads": 2, "iterations": 200}, trace.RaceData, "counter"},
		{"heisenbug", "", nil, trace.RaceData, "next ticket"},
		// Both accesses must happen: at the defaults main often reads first and
		// returns, cutting the loader off before it writes.
		{"sleep-fix", "", map[string]any{"busy": 3, "load_us": 1000}, trace.RaceData, "config"},
		{"flag-as-lock", flagLock, nil, trace.RaceData, "busy"},
		{"flag-as-lock", flagLock, nil, trace.RaceData, "counter"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.kind, func(t *testing.T) {
			for seed := int64(1); seed <= 3; seed++ {
				if res := runScenario(t, tt.name, tt.src, trace.ModeSim, seed, tt.params); !has(res, tt.kind, tt.obj) {
					t.Errorf("seed %d: Analyze(%s) = %+v, want a %s on %s", seed, tt.name, res.RaceSummary, tt.kind, tt.obj)
				}
			}
		})
	}
}

// Check-then-act fails only in some interleavings; each of those has a
// stale read of the balance, and a run that passed was correct by luck.
func TestCheckThenActStaleRead(t *testing.T) {
	failed := 0
	for seed := int64(0); seed < 40; seed++ {
		res := runScenario(t, "check-then-act", "", trace.ModeSim, seed, nil)
		switch res.Status {
		case trace.StatusFailed:
			failed++
			if !has(res, trace.RaceStaleRead, "balance") {
				t.Errorf("seed %d: failed run's findings = %+v, want a stale read on balance", seed, res.RaceSummary)
			}
		case trace.StatusOK:
			if has(res, trace.RaceStaleRead, "balance") {
				t.Errorf("seed %d: a run that passed has a stale read: %+v", seed, res.Races)
			}
		}
	}
	if failed == 0 {
		t.Fatal("no seed of 0 to 39 made check-then-act fail; pick others")
	}
}

// The fixes and the scenarios that synchronise properly report nothing,
// on real threads too, where events come in an order that is not the
// order of the accesses.
func TestScenariosClean(t *testing.T) {
	small := map[string]any{"threads": 2, "iterations": 100}
	tests := []struct {
		name   string
		params map[string]any
	}{
		{"counter-mutex", small},
		{"counter-atomic", small},
		{"spin-lock", small},
		{"lock-across-sleep", map[string]any{"rounds": 3, "hold_ms": 1}},
		{"check-then-act", map[string]any{"locked": true}},
		{"sleep-fix", map[string]any{"join": true, "load_us": 200}},
		{"join-at-end", nil},
		{"lock-ordering", nil},
		{"dining-philosophers-fixed", nil},
		{"one-message", nil},
		{"message-stream", nil},
		{"many-producers", nil},
		{"rendezvous", nil},
		{"bounded-buffer", nil},
		{"worker-pool", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []trace.Mode{trace.ModeSim, trace.ModeOS, trace.ModeGreen} {
				for seed := int64(1); seed <= 3; seed++ {
					res := runScenario(t, tt.name, "", mode, seed, tt.params)
					if res.Status != trace.StatusOK {
						t.Fatalf("%s seed %d: status %s (%s), want ok", mode, seed, res.Status, res.Message)
					}
					if len(res.Races) > 0 {
						t.Errorf("%s seed %d: Analyze(%s) = %q, want nothing", mode, seed, tt.name, res.Races[0].Text)
					}
					if mode != trace.ModeSim {
						break
					}
				}
			}
		})
	}
}

// The heisenbug passes in sim mode, where arrivals a little apart keep
// the customers from colliding: correct by luck, which the result says.
func TestHeisenbugCorrectByLuck(t *testing.T) {
	res := runScenario(t, "heisenbug", "", trace.ModeSim, 1, nil)
	if res.Status != trace.StatusOK {
		t.Fatalf("heisenbug seed 1: status %s, want ok", res.Status)
	}
	want := "This run was correct by luck: customer-0 and customer-1 touch next ticket with nothing ordering them."
	if res.RaceSummary == nil || res.RaceSummary.Luck != want {
		t.Errorf("Analyze(heisenbug) summary = %+v, want luck %q", res.RaceSummary, want)
	}
}
