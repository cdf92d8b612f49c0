package engine

import (
	"context"
	"fmt"
	"io"
	"runtime"
	rtrace "runtime/trace"
	"testing"

	"interleave/limits"
	"interleave/sandbox/trace"
)

// cpuPathNames names the paths configureCPU picked, for benchmark names.
func cpuPathNames() string {
	cpu := map[int]string{cpuSyscall: "getcpu", cpuRDPID: "rdpid", cpuRSEQ: "rseq", cpuRDTSCP: "rdtscp"}[cpuMethod]
	tid := map[int]string{tidSyscall: "gettid", tidRuntime: "runtime", tidFSBase: "fsbase"}[tidMethod]
	return cpu + "+" + tid
}

// BenchmarkRecorderPaths measures one event from one thread, with the
// flusher running, for every INTERLEAVE_CPU_PATH level side by side, and Go's
// own tracer (runtime/trace, one trace.Log per event) as the comparator.
func BenchmarkRecorderPaths(b *testing.B) {
	defer func() { _ = configureCPU("auto") }()
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		for _, level := range cpuLevels {
			if err := configureCPU(level); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%s=%s", mode, level, cpuPathNames()), func(b *testing.B) {
				benchRecorder(b, mode)
			})
		}
	}
	_ = configureCPU("auto")
	b.Run("go-tracer", func(b *testing.B) {
		if err := rtrace.Start(io.Discard); err != nil {
			b.Skip(err)
		}
		defer rtrace.Stop()
		ctx := context.Background()
		b.ResetTimer()
		for range b.N {
			rtrace.Log(ctx, "get", "counter")
		}
	})
}

func benchRecorder(b *testing.B, mode trace.Mode) {
	r := &run{mode: mode, lim: limits.Limits{Events: 1 << 40}.WithDefaults(), done: make(chan struct{})}
	r.rec = newRecorder(r.lim.Events, func([]trace.Event) {})
	r.start = nanotime()
	r.rec.start(r.start, useTSC)
	t := &thread{r: r}
	if mode == trace.ModeOS {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		t.tid = gettid()
		t.enterOSThread()
		defer t.leaveOSThread()
	}
	b.ResetTimer()
	for i := range b.N {
		t.rec(trace.Get, "counter", trace.Int(int64(i)), 7)
	}
	b.StopTimer()
	r.rec.finish()
}

// BenchmarkCellGetPaths is c.get() in a Starlark loop, recorded, for
// every INTERLEAVE_CPU_PATH level: the recording cost as a script sees it.
func BenchmarkCellGetPaths(b *testing.B) {
	defer func() { _ = configureCPU("auto") }()
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		for _, level := range cpuLevels {
			if err := configureCPU(level); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%s=%s", mode, level, cpuPathNames()), func(b *testing.B) {
				benchLoop(b, mode, runOptions{}, `    c = cell("c")`, `        c.get()`)
			})
		}
	}
}
