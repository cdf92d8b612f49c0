package explore_test

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// BenchmarkDFSLostUpdate measures dfs executions per second on
// lost-update with 2 threads x 10 increments (far too many executions to
// finish: the budget is b.N), beside plain sim runs of the same script.
// Per second of wall time and per second of the process's CPU time (user
// and system, the collector's included), which a loaded machine bends
// less.
func BenchmarkDFSLostUpdate(b *testing.B) {
	req := scenario(b, "lost-update", map[string]any{"threads": 2, "iterations": 10})
	b.Run("dfs", func(b *testing.B) {
		start, cpu := time.Now(), cpuTime(b)
		rep, err := explore.Explore(context.Background(), req, explore.Options{Strategy: explore.DFS, Budget: max(b.N, 1), Preemptions: intp(explore.MaxPreemptions)}, nil)
		if err != nil || rep.Runs != max(b.N, 1) {
			b.Fatalf("Explore = %v, %d runs, want %d", err, rep.Runs, b.N)
		}
		b.ReportMetric(float64(rep.Runs)/time.Since(start).Seconds(), "execs/s")
		b.ReportMetric(float64(rep.Runs)/(cpuTime(b)-cpu).Seconds(), "execs/cpu-s")
	})
	b.Run("sim-run", func(b *testing.B) {
		start, cpu := time.Now(), cpuTime(b)
		for i := range b.N {
			r := req
			r.Seed = int64(i)
			engine.Run(context.Background(), r, func([]trace.Event) {})
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
		b.ReportMetric(float64(b.N)/(cpuTime(b)-cpu).Seconds(), "runs/cpu-s")
	})
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDFSComplete measures a complete search of lost-update with 3
// threads x 2 increments with reduction, and how far the same search gets
// without it within 100,000 executions.
func BenchmarkDFSComplete(b *testing.B) {
	req := scenario(b, "lost-update", map[string]any{"threads": 3, "iterations": 2})
	for _, c := range []struct {
		name   string
		off    bool
		budget int
	}{{"reduction", false, explore.MaxBudget}, {"no-reduction", true, 100000}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				rep, err := explore.Explore(context.Background(), req, explore.Options{Strategy: explore.DFS, Budget: c.budget, Preemptions: intp(explore.MaxPreemptions), NoReduction: c.off}, nil)
				if err != nil || (!c.off && !rep.Complete) {
					b.Fatalf("Explore = %v, complete %v", err, rep != nil && rep.Complete)
				}
				complete := 0.0
				if rep.Complete {
					complete = 1
				}
				b.ReportMetric(float64(rep.Runs), "execs")
				b.ReportMetric(float64(rep.Schedules), "schedules")
				b.ReportMetric(complete, "complete")
				b.ReportMetric(float64(rep.Bound), "bound")
			}
		})
	}
}

// BenchmarkDFSMemory measures the live heap of dfs on lost-update with 2
// threads x 10 increments after 10,000, 40,000 and 100,000 executions:
// at each progress report it collects garbage and reads the heap in use,
// and reports the largest. What the search keeps must not grow with the
// executions run (the sandboxed child has 256 MiB).
func BenchmarkDFSMemory(b *testing.B) {
	req := scenario(b, "lost-update", map[string]any{"threads": 2, "iterations": 10})
	for _, n := range []int{10000, 40000, 100000} {
		b.Run(fmt.Sprintf("execs=%d", n), func(b *testing.B) {
			for range b.N {
				var peak uint64
				sample := func() {
					var m runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapAlloc)
				}
				rep, err := explore.Explore(context.Background(), req, explore.Options{Strategy: explore.DFS, Budget: n, Preemptions: intp(explore.MaxPreemptions)},
					func(explore.Progress) { sample() })
				if err != nil || rep.Runs != n {
					b.Fatalf("Explore = %v, %d runs, want %d", err, rep.Runs, n)
				}
				b.ReportMetric(float64(peak)/(1<<20), "live-MiB")
				b.ReportMetric(float64(rep.Bound), "bound")
			}
		})
	}
}
