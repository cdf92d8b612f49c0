package engine

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox/trace"
)

// benchLoop runs body b.N times inside one thread of one run and reports
// the cost per iteration.
func benchLoop(b *testing.B, mode trace.Mode, opt runOptions, setup, body string) {
	b.Helper()
	src := fmt.Sprintf("params = {\"n\": param(1)}\ndef main(n):\n%s\n    for _ in range(n):\n%s\n", setup, body)
	b.ReportAllocs()
	b.ResetTimer()
	res := runWith(context.Background(), Request{Source: src, Mode: mode, Params: map[string]any{"n": b.N},
		Limits: limits.Limits{Events: 1 << 30, Steps: 1 << 40}}, opt, func([]trace.Event) {})
	b.StopTimer()
	if res.Status != trace.StatusOK {
		b.Fatalf("Run = %v (%s)", res.Status, res.Message)
	}
}

// BenchmarkRecordOverhead compares a recording builtin call with the same
// call with recording off: the difference is the cost of one event.
func BenchmarkRecordOverhead(b *testing.B) {
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		for _, rec := range []bool{true, false} {
			name := fmt.Sprintf("%s/record=%v", mode, rec)
			b.Run(name, func(b *testing.B) {
				benchLoop(b, mode, runOptions{noRecord: !rec}, `    c = cell("c")`, `        c.get()`)
			})
		}
	}
}

// BenchmarkBuiltins measures builtin calls in os mode, recording on,
// including the Starlark loop around them.
func BenchmarkBuiltins(b *testing.B) {
	for _, c := range []struct{ name, setup, body string }{
		{"loop", `    pass`, `        pass`},
		{"cell.get", `    c = cell("c")`, `        c.get()`},
		{"cell.add", `    c = cell("c")`, `        c.add(1)`},
		{"cell.set", `    c = cell("c")`, `        c.set(1)`},
		{"cell.cas", `    c = cell("c")`, `        c.cas(0, 0)`},
		{"mutex.lock+unlock", `    m = mutex("m")`, "        m.lock()\n        m.unlock()"},
		{"channel.send+recv", `    ch = channel("ch")`, "        ch.send(1)\n        ch.recv()"},
		{"yield_now", `    pass`, `        yield_now()`},
	} {
		b.Run(c.name, func(b *testing.B) { benchLoop(b, trace.ModeOS, runOptions{}, c.setup, c.body) })
	}
}

// BenchmarkRecorder measures the recorder alone: one event from one
// thread, with the flusher running.
func BenchmarkRecorder(b *testing.B) {
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen, trace.ModeSim} {
		b.Run(string(mode), func(b *testing.B) {
			r := &run{mode: mode, lim: limits.Limits{Events: 1 << 40}.WithDefaults(), done: make(chan struct{})}
			if mode == trace.ModeSim {
				r.sim = &simSched{r: r}
			}
			r.rec = newRecorder(r.lim.Events, func([]trace.Event) {})
			r.start = nanotime()
			r.rec.start(r.start, useTSC && mode != trace.ModeSim)
			t := &thread{r: r, tid: gettid()}
			b.ResetTimer()
			for i := range b.N {
				t.rec(trace.Get, "counter", trace.Int(int64(i)), 7)
			}
			b.StopTimer()
			r.rec.finish()
		})
	}
}

// BenchmarkSimLostUpdate measures whole sim runs of the two-thread
// lost-update scenario with 10 iterations, on one P as the sandbox child
// runs sim mode (procs=1), and on two as it did before (procs=2, the
// comparator).
func BenchmarkSimLostUpdate(b *testing.B) {
	src := lib(b, "lost-update.star")
	params := map[string]any{"threads": 2, "iterations": 10}
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			b.ReportAllocs()
			start := time.Now()
			for i := range b.N {
				res := Run(context.Background(), Request{Source: src, Mode: trace.ModeSim, Seed: int64(i), Params: params}, func([]trace.Event) {})
				if res.Status != trace.StatusOK && res.Status != trace.StatusFailed {
					b.Fatalf("Run = %v (%s)", res.Status, res.Message)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "runs/s")
		})
	}
}

// BenchmarkRunOverhead measures a whole run of an empty main: setup,
// compile (cached after the first run), the threads and the recorder.
func BenchmarkRunOverhead(b *testing.B) {
	for _, mode := range allModes {
		b.Run(string(mode), func(b *testing.B) {
			for range b.N {
				Run(context.Background(), Request{Source: "def main():\n    pass\n", Mode: mode}, func([]trace.Event) {})
			}
		})
	}
}
