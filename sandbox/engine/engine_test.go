package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// TestLibScenarios runs every built-in scenario, with its default params,
// in every mode it allows: the engine must run them all.
func TestLibScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "lib", "*.star"))
	if err != nil || len(files) < 2 {
		t.Fatalf("glob scenarios = %v, %v", files, err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		src := lib(t, name)
		meta, err := scenarios.Parse(strings.TrimSuffix(name, ".star"), src)
		if err != nil {
			t.Errorf("parse %s: %v", name, err)
			continue
		}
		for _, mode := range meta.Modes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				res, evs := collect(t, Request{Scenario: name, Source: src, Mode: trace.Mode(mode), Seed: 1})
				switch res.Status {
				case trace.StatusOK, trace.StatusFailed, trace.StatusDeadlock, trace.StatusPanic:
				default:
					t.Fatalf("Run(%q) = %v (%s), want it to run", name, res.Status, res.Message)
				}
				if string(res.Mode) != mode || res.Scenario != name || len(evs) == 0 || res.Stats.Events != int64(len(evs)) {
					t.Errorf("Run(%q) = mode %v scenario %q, %d events, stats %+v", name, res.Mode, res.Scenario, len(evs), res.Stats)
				}
				t.Logf("%s: %s (%.1f ms)", res.Status, res.Message, float64(res.Stats.WallNs)/1e6)
			})
		}
	}
}

// TestOSThreads checks what the real modes say about OS threads.
func TestOSThreads(t *testing.T) {
	src := addersScript(4, 200, 50, "0.2")
	t.Run("os", func(t *testing.T) {
		res, evs := collect(t, Request{Source: src, Mode: trace.ModeOS})
		tids := map[int]int{} // thread -> tid
		for _, e := range evs {
			if !e.HasOS {
				if e.K != trace.Cutoff {
					t.Fatalf("event %+v has no OS thread", e)
				}
				continue
			}
			if e.CPU < 0 || e.CPU >= runtime.NumCPU() {
				t.Errorf("event %+v: cpu out of range", e)
			}
			if tid, ok := tids[e.Th]; ok && tid != e.Tid {
				t.Errorf("thread %d moved from tid %d to %d in os mode", e.Th, tid, e.Tid)
			}
			tids[e.Th] = e.Tid
		}
		distinct := map[int]bool{}
		for _, tid := range tids {
			distinct[tid] = true
		}
		if len(distinct) != 5 || res.Stats.OSThreads != 5 {
			t.Errorf("5 threads ran on %d OS threads (stats %d), want 5", len(distinct), res.Stats.OSThreads)
		}
		if res.Procs != runtime.NumCPU() {
			t.Errorf("Procs = %d, want %d", res.Procs, runtime.NumCPU())
		}
	})
	t.Run("green", func(t *testing.T) {
		before := runtime.GOMAXPROCS(0)
		res, evs := collect(t, Request{Source: src, Mode: trace.ModeGreen, Procs: 1})
		if res.Procs != 1 || runtime.GOMAXPROCS(0) != before {
			t.Errorf("Procs = %d, GOMAXPROCS after = %d, want 1 and %d", res.Procs, runtime.GOMAXPROCS(0), before)
		}
		if res.Stats.OSThreads < 1 {
			t.Errorf("OSThreads = %d", res.Stats.OSThreads)
		}
		for _, e := range evs {
			if !e.HasOS && e.K != trace.Cutoff {
				t.Fatalf("event %+v has no OS thread", e)
			}
		}
	})
}

// TestNoLeak checks that Run leaves no scenario goroutine behind, even
// when threads are cut off while blocked, sleeping or spinning.
func TestNoLeak(t *testing.T) {
	src := mainOf(`
    m = mutex("m")
    m.lock()
    def blocked():
        m.lock()
    def sleeper():
        sleep(60000)
    def spinner():
        while True:
            pass
    def worker():
        work(10000000)
    for f in [blocked, sleeper, spinner, worker]:
        spawn(f)
    sleep(5)
`)
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) {
			before := runtime.NumGoroutine()
			start := time.Now()
			res := Run(context.Background(), Request{Source: src, Mode: mode}, nil)
			if res.Status != trace.StatusOK {
				t.Fatalf("Run = %v (%s), want ok", res.Status, res.Message)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("Run took %v, want the cut-off threads to stop at once", took)
			}
			deadline := time.Now().Add(2 * time.Second)
			for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > before {
				t.Errorf("%d goroutines after Run, %d before", n, before)
			}
			for _, th := range res.Threads[1:] {
				if th.State != "cutoff" && th.State != "blocked" {
					t.Errorf("thread %s state = %q, want cutoff or blocked", th.Name, th.State)
				}
			}
		})
	}
}

// TestEventTimes checks that each thread's events are in time order and
// within the run, whatever clock the mode uses.
func TestEventTimes(t *testing.T) {
	src := addersScript(3, 300, 100, "1")
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) {
			res, evs := collect(t, Request{Source: src, Mode: mode})
			last := map[int]int64{}
			for _, e := range evs {
				if e.T < last[e.Th] {
					t.Fatalf("event %+v is earlier than its thread's previous event at %d", e, last[e.Th])
				}
				last[e.Th] = e.T
			}
			if mode != trace.ModeSim {
				if end := evs[len(evs)-1].T; end > res.Stats.WallNs || end < 3e6 {
					t.Errorf("last event at %d ns, run took %d ns: want it inside the run and after the 3 ms of sleep", end, res.Stats.WallNs)
				}
			}
		})
	}
}

// addersScript is a main that spawns n threads that each add to one cell
// iters times, sleeping for pause ms every every-th time, and joins them.
func addersScript(n, iters, every int, pause string) string {
	return mainOf(fmt.Sprintf(`
    c = cell("c")
    def w():
        for i in range(%d):
            c.add(1)
            if i %% %d == 0:
                sleep(%s)
    hs = [spawn(w) for i in range(%d)]
    for h in hs:
        h.join()
`, iters, every, pause, n))
}
