package engine

import (
	"runtime"
	"testing"

	"interleave/sandbox/trace"
)

// busyEight is eight threads each doing 20 ms of work in 2 ms pieces:
// more than two cores can run at once.
var busyEight = mainOf(`
    def busy():
        for _ in range(10):
            work(2000)
    hs = [spawn(busy) for _ in range(8)]
    for h in hs:
        h.join()
`)

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
			res, evs := collect(t, Request{Source: busyEight, Mode: mode, Procs: 2})
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

// TestRunnableWhen checks that runnable events say when a work span
// waited to run: each inside its span, in order, adding up to the time
// the worked event says it did not run, and with the waits taken out no
// more threads run at once than there are cores (os mode) or OS threads
// for goroutines (green mode, procs).
func TestRunnableWhen(t *testing.T) {
	const threads, procs = 8, 2
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		t.Run(string(mode), func(t *testing.T) {
			cores := procs
			if mode == trace.ModeOS {
				cores = runtime.NumCPU()
			}
			if cores >= threads {
				t.Skipf("%d cores: %d busy threads need not wait for one", cores, threads)
			}
			res, evs := collect(t, Request{Source: busyEight, Mode: mode, Procs: procs})
			if res.Status != trace.StatusOK {
				t.Fatalf("Run = %v (%s)", res.Status, res.Message)
			}
			ran := map[uint64]int64{}
			for _, e := range evs {
				if e.K == trace.Worked {
					ran[e.Seq] = e.V.Int
				}
			}
			var work []trace.Span
			waits := 0
			for _, s := range trace.Fold(evs).Spans {
				if s.Kind != "work" || s.EndSeq == nil {
					continue
				}
				work = append(work, s)
				waits += len(s.Waits)
				checkWaits(t, s, ran[*s.EndSeq])
			}
			if len(work) != threads*10 || waits == 0 {
				t.Fatalf("%d work spans with %d waits, want %d spans and some waits", len(work), waits, threads*10)
			}
			if over, n := overCommitted(work, cores, 2000); over > n/50 {
				t.Errorf("at %d of %d moments more than %d threads ran work at once", over, n, cores)
			}
		})
	}
}

// checkWaits holds one work span's waits to its bounds and to what its
// worked event says it ran (ranNs): the waits are the rest, give or take
// the stalls too short to count and, in os mode, the CPU clock's view.
func checkWaits(t *testing.T, s trace.Span, ranNs int64) {
	t.Helper()
	prev, sum := s.StartT, int64(0)
	for _, w := range s.Waits {
		if w[0] < prev || w[1] <= w[0] || w[1] > *s.EndT {
			t.Fatalf("work span %+v: wait %v out of order or out of the span", s, w)
		}
		prev, sum = w[1], sum+w[1]-w[0]
	}
	wall := *s.EndT - s.StartT
	if d := wall - ranNs - sum; d > wall/5+2*gapNs || d < -wall/5-2*gapNs {
		t.Errorf("work span %+v: waits add up to %d ns, but it ran %d of %d ns", s, sum, ranNs, wall)
	}
}

// overCommitted samples n moments of the work spans and counts those at
// which more than cores of them ran, not waiting.
func overCommitted(work []trace.Span, cores, n int) (over, samples int) {
	t0, t1 := work[0].StartT, *work[0].EndT
	for _, s := range work {
		t0, t1 = min(t0, s.StartT), max(t1, *s.EndT)
	}
	for i := range n {
		at := t0 + (t1-t0)*int64(i)/int64(n)
		running := 0
		for _, s := range work {
			if at < s.StartT || at >= *s.EndT {
				continue
			}
			waiting := false
			for _, w := range s.Waits {
				waiting = waiting || (w[0] <= at && at < w[1])
			}
			if !waiting {
				running++
			}
		}
		if running > cores {
			over++
		}
	}
	return over, n
}
