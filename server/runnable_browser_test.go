package server_test

import (
	"context"
	"encoding/xml"
	"runtime"
	"strings"
	"testing"
)

// A work span as window.interleave.timeline shows it: Ran is the share of
// it the thread ran, nil where the run did not measure it.
type tlWork struct {
	Th    int
	Kind  string
	T0    float64
	T1    *float64
	Ran   *float64
	Waits [][2]float64
}

// TestTimelineWaitsForACore runs parallel-speedup with more threads than
// cores in os mode: the timeline must know, for every finished work span,
// how much of it the thread ran, and show that some spans waited, where
// they waited: never more solid work bars at once than cores.
func TestTimelineWaitsForACore(t *testing.T) {
	const threads = 8
	if runtime.NumCPU() >= threads {
		t.Skipf("%d cores: %d busy threads need not wait for one", runtime.NumCPU(), threads)
	}
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	if st := runPage(t, ctx, ts.URL+"/s/parallel-speedup?threads=8&mode=os"); st != "ok" {
		t.Fatalf("parallel-speedup threads=8 os: status %q, want ok", st)
	}
	spans := evaluate[[]tlWork](t, ctx, `window.interleave.timeline.spans.filter((s) => s.kind === "work")`)
	if len(spans) < threads {
		t.Fatalf("%d work spans, want at least %d", len(spans), threads)
	}
	waited := 0
	for _, s := range spans {
		if s.T1 == nil {
			continue
		}
		if s.Ran == nil {
			t.Fatalf("work span %+v: no share ran, want one in os mode", s)
		}
		if *s.Ran < 0 || *s.Ran > 1 {
			t.Errorf("work span %+v: ran %v, want a share from 0 to 1", s, *s.Ran)
		}
		if *s.Ran < 0.9 {
			waited++
		}
	}
	t.Logf("%d of %d work spans ran less than 90%% of their time", waited, len(spans))
	if waited == 0 {
		t.Errorf("none of %d work spans of %d threads on %d cores waited for a core", len(spans), threads, runtime.NumCPU())
	}
	// The note's promise: at any moment no more work bars are solid
	// (not hatched as waiting) than there are cores.
	if over, most, n := solidAtOnce(spans, runtime.NumCPU(), 2000); over > n/50 {
		t.Errorf("at %d of %d moments more than %d work bars were solid (at most %d)", over, n, runtime.NumCPU(), most)
	}
	hatched := evaluate[int](t, ctx, `window.interleave.timeline.spans.filter((s) => s.waits).length`)
	if hatched == 0 {
		t.Error("no work span has waits to hatch")
	}
	// The SVG export hatches the same stretches, and stays well formed.
	svg := evaluate[string](t, ctx, `window.interleave.svg()`)
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil || strings.Count(svg, `fill="url(#p-runnable)"`) == 0 {
		t.Errorf("SVG export: %v, %d hatched stretches, want well-formed XML with some", err, strings.Count(svg, `fill="url(#p-runnable)"`))
	}
	testGreenWaits(t, ctx, ts.URL)
	testOversubscriptionGaps(t, ctx, ts.URL)
	if legend := text(t, ctx, ".legend"); !strings.Contains(legend, "waits for a core") {
		t.Errorf("legend = %q, want an entry for waiting for a core", legend)
	}
}

// solidAtOnce samples n moments of the finished work spans: how many of
// them are more than cores bars solid at once (in work, not waiting), and
// the most seen.
func solidAtOnce(spans []tlWork, cores, n int) (over, most, samples int) {
	t0, t1 := spans[0].T0, spans[0].T0
	for _, s := range spans {
		if s.T1 != nil {
			t0, t1 = min(t0, s.T0), max(t1, *s.T1)
		}
	}
	for i := range n {
		at := t0 + (t1-t0)*float64(i)/float64(n)
		solid := 0
		for _, s := range spans {
			if s.T1 == nil || at < s.T0 || at >= *s.T1 {
				continue
			}
			waiting := false
			for _, w := range s.Waits {
				waiting = waiting || (w[0] <= at && at < w[1])
			}
			if !waiting {
				solid++
			}
		}
		most = max(most, solid)
		if solid > cores {
			over++
		}
	}
	return over, most, n
}

// testGreenWaits runs parallel-speedup in green mode on 2 OS threads: at
// no moment more solid work bars than OS threads, and the legend names
// the wait for one.
func testGreenWaits(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	const procs = 2
	if st := runPage(t, ctx, base+"/s/parallel-speedup?threads=8&mode=green&procs=2"); st != "ok" {
		t.Fatalf("parallel-speedup threads=8 green: status %q, want ok", st)
	}
	spans := evaluate[[]tlWork](t, ctx, `window.interleave.timeline.spans.filter((s) => s.kind === "work")`)
	if over, most, n := solidAtOnce(spans, procs, 2000); over > n/50 {
		t.Errorf("green: at %d of %d moments more than %d work bars were solid (at most %d)", over, n, procs, most)
	}
	if legend := text(t, ctx, ".legend"); !strings.Contains(legend, "OS thread") {
		t.Errorf("green: legend = %q, want the wait for an OS thread", legend)
	}
}

// testOversubscriptionGaps runs oversubscription (16 threads) in os mode:
// its notes say to look for the gaps in each thread's work, hatched where
// the thread waited, with no more solid work bars at once than cores.
func testOversubscriptionGaps(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if st := runPage(t, ctx, base+"/s/oversubscription?mode=os"); st != "ok" {
		t.Fatalf("oversubscription os: status %q, want ok", st)
	}
	spans := evaluate[[]tlWork](t, ctx, `window.interleave.timeline.spans.filter((s) => s.kind === "work")`)
	gaps := 0
	for _, s := range spans {
		gaps += len(s.Waits)
	}
	if gaps == 0 {
		t.Errorf("oversubscription: no gaps in %d work spans of 16 threads on %d cores", len(spans), runtime.NumCPU())
	}
	if over, most, n := solidAtOnce(spans, runtime.NumCPU(), 2000); over > n/50 {
		t.Errorf("oversubscription: at %d of %d moments more than %d work bars were solid (at most %d)", over, n, runtime.NumCPU(), most)
	}
}
