package engine

import (
	"runtime"
	"testing"

	"interleave/sandbox/trace"
)

// TestWorkedRan checks what a worked event says about a work span: in the
// real modes how long the thread ran, never more than the span's wall
// time; with more busy threads than cores some spans must have waited.
func TestWorkedRan(t *testing.T) {
	const threads = 8
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		t.Run(string(mode), func(t *testing.T) {
			if mode == trace.ModeOS && runtime.NumCPU() >= threads {
				t.Skipf("%d cores: %d busy threads need not wait for one", runtime.NumCPU(), threads)
			}
			res, evs := collect(t, Request{Source: mainOf(`
    def busy():
        for _ in range(10):
            work(2000)
    hs = [spawn(busy) for _ in range(8)]
    for h in hs:
        h.join()
`), Mode: mode, Procs: 2})
			if res.Status != trace.StatusOK {
				t.Fatalf("Run = %v (%s)", res.Status, res.Message)
			}
			start := map[int]int64{}
			spans, waited := 0, 0
			for _, e := range evs {
				switch e.K {
				case trace.Work:
					start[e.Th] = e.T
				case trace.Worked:
					spans++
					if e.V.Kind != trace.VInt {
						t.Fatalf("worked event %+v: v = %v, want the ns it ran", e, e.V)
					}
					wall := e.T - start[e.Th]
					if e.V.Int < 0 || e.V.Int > wall+gapNs {
						t.Errorf("worked event %+v: ran %d ns of a %d ns span", e, e.V.Int, wall)
					}
					if wall-e.V.Int > gapNs {
						waited++
					}
				}
			}
			if spans != threads*10 {
				t.Errorf("%d worked events, want %d", spans, threads*10)
			}
			if waited == 0 {
				t.Errorf("no work span of %d busy threads on %d cores waited", threads, min(runtime.NumCPU(), 2))
			}
		})
	}
}
