package sandbox_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

const racyCounter = `
def main():
    counter = cell("counter", 0)
    def worker():
        for _ in range(2):
            counter.set(counter.get() + 1)
    hs = [spawn(worker) for _ in range(2)]
    for h in hs:
        h.join()
    check(counter.get() == 4, "no update is lost")
`

// An exploration runs in one child and reports the same outcomes as in
// process.
func TestExploreInChild(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r := newRunner(t, exe, 20*time.Second)
	req := engine.Request{Scenario: "racy", Source: racyCounter, Mode: trace.ModeSim}
	opts := explore.Options{Strategy: explore.DFS, Preemptions: new(int)}
	*opts.Preemptions = explore.MaxPreemptions
	rep, err := r.Explore(context.Background(), req, opts, nil)
	if err != nil {
		t.Fatalf("Explore() error = %v", err)
	}
	local, err := explore.Explore(context.Background(), req, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete || rep.Schedules != local.Schedules || len(rep.Outcomes) != 3 {
		t.Errorf("Explore() in the child = complete %v, %d schedules, %d outcomes; in process %d schedules, want complete, the same, 3 outcomes",
			rep.Complete, rep.Schedules, len(rep.Outcomes), local.Schedules)
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left, want 0", n)
	}
}

// Stopping an exploration gives what it found so far, with progress on
// the way.
func TestExploreStop(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r := newRunner(t, exe, 20*time.Second)
	req := engine.Request{Scenario: "racy", Source: strings.Replace(racyCounter, "range(2)]", "range(6)]", 1), Mode: trace.ModeSim}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var progress []explore.Progress
	rep, err := r.Explore(ctx, req, explore.Options{Strategy: explore.Random, Budget: explore.MaxBudget}, func(p explore.Progress) {
		progress = append(progress, p)
		if len(progress) == 2 {
			cancel()
		}
	})
	if err != nil {
		t.Fatalf("Explore() error = %v", err)
	}
	if rep.Stopped != "stop" || rep.Schedules == 0 || len(progress) < 2 {
		t.Errorf("Explore() stopped = %q after %d schedules and %d progress frames, want stop, some schedules, 2 frames", rep.Stopped, rep.Schedules, len(progress))
	}
	if !slices.IsSortedFunc(progress, func(a, b explore.Progress) int { return a.Schedules - b.Schedules }) {
		t.Errorf("progress %+v does not grow", progress)
	}
}

func TestExploreBadOptions(t *testing.T) {
	r := newRunner(t, sandboxtest.Binary(t), 20*time.Second)
	_, err := r.Explore(context.Background(), engine.Request{Source: racyCounter, Mode: trace.ModeSim}, explore.Options{Budget: -1}, nil)
	if err == nil || !strings.Contains(err.Error(), "budget must be from 1 to") {
		t.Errorf("Explore(budget -1) error = %v, want one naming budget and its range", err)
	}
}

// An exploration has its own limits: it runs past a run's wall-clock
// and CPU limits, until its own time limit, which the report names.
func TestExploreOwnTimeLimit(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Wall: time.Second, CPUSeconds: 1, Explore: 4 * time.Second}})
	if err != nil {
		t.Fatalf("sandbox.New() error = %v", err)
	}
	defer r.Close()
	req := engine.Request{Scenario: "racy", Source: strings.Replace(racyCounter, "range(2)]", "range(6)]", 1), Mode: trace.ModeSim}
	for _, c := range []struct {
		name    string
		timeout time.Duration
		want    string
	}{
		{"the runner's", 0, "The exploration reached its time limit of 4s."},
		{"its own, shorter", 2500 * time.Millisecond, "The exploration reached its time limit of 2.5s."},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := r.Explore(context.Background(), req, explore.Options{Strategy: explore.Random, Budget: explore.MaxBudget, TimeoutNs: c.timeout.Nanoseconds()}, nil)
			if err != nil {
				t.Fatalf("Explore() error = %v", err)
			}
			if rep.Stopped != "time" || !strings.HasPrefix(rep.Limit, c.want) || time.Duration(rep.ElapsedNs) < 2*time.Second {
				t.Errorf("Explore() = stopped %q, limit %q after %s; want time, %q, past the run's 1 s limits",
					rep.Stopped, rep.Limit, time.Duration(rep.ElapsedNs), c.want)
			}
		})
	}
	if _, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Explore: limits.MaxExplore + time.Second}}); err == nil || !strings.Contains(err.Error(), "at most 10m0s") {
		t.Errorf("sandbox.New(explore timeout above the cap) error = %v, want one naming the cap", err)
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left, want 0", n)
	}
}

// Repeat in os mode starts a run's OS threads while the last run's may
// still be exiting: a script at the thread limit must not take the
// exploring process past its cgroup's pids limit, where the Go runtime
// aborts and the person gets no report.
func TestExploreRepeatAtThreadLimit(t *testing.T) {
	exe := sandboxtest.Binary(t)
	r, err := sandbox.New(sandbox.Config{Exe: exe, Limits: limits.Limits{Explore: 5 * time.Second}})
	if err != nil {
		t.Fatalf("sandbox.New() error = %v", err)
	}
	defer r.Close()
	src := `
def w(c):
    x = [0] * 100000
    c.add(1)

def main():
    c = cell("c")
    hs = [spawn(w, c) for i in range(60)]
    for h in hs:
        h.join()
`
	req := engine.Request{Scenario: "bomb", Source: src, Mode: trace.ModeOS}
	rep, err := r.Explore(context.Background(), req, explore.Options{Strategy: explore.Repeat, Budget: 3000}, nil)
	if err != nil {
		t.Fatalf("Explore(repeat, 60 OS threads a run) error = %v, want a report", err)
	}
	if rep.Runs == 0 || (rep.Stopped != "time" && rep.Stopped != "budget") {
		t.Errorf("Explore(repeat, 60 OS threads a run) = %d runs, stopped %q (%s); want runs, stopped by its time or budget", rep.Runs, rep.Stopped, rep.Limit)
	}
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children left, want 0", n)
	}
}
