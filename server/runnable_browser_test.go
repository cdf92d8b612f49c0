package server_test

import (
	"runtime"
	"strings"
	"testing"
)

// A work span as window.interleave.timeline shows it: Ran is the share of
// it the thread ran, nil where the run did not measure it.
type tlWork struct {
	Th   int
	Kind string
	T0   float64
	T1   *float64
	Ran  *float64
}

// TestTimelineWaitsForACore runs parallel-speedup with more threads than
// cores in os mode: the timeline must know, for every finished work span,
// how much of it the thread ran, and show that some spans waited.
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
	if legend := text(t, ctx, ".legend"); !strings.Contains(legend, "waits for a core") {
		t.Errorf("legend = %q, want an entry for waiting for a core", legend)
	}
}
