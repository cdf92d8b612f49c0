package server_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTimelineMillionBenchmark runs the timeline benchmark
// (testdata/timeline_bench.js) at 200,000 and at 1,000,000 events, each in
// a fresh page, so that the million's frame rates and JS heap come with
// their ratio to the 200,000 measured in the same run (issue 18 item 6).
// A benchmark: only with INTERLEAVE_BENCH_BROWSER=1; it asserts nothing
// about speed.
func TestTimelineMillionBenchmark(t *testing.T) {
	if os.Getenv("INTERLEAVE_BENCH_BROWSER") == "" {
		t.Skip("a benchmark: set INTERLEAVE_BENCH_BROWSER=1 to run it")
	}
	src, err := os.ReadFile("testdata/timeline_bench.js")
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	type run struct {
		benchResult
		HeapMB float64
	}
	got := map[int]run{}
	for _, n := range []int{200_000, 1_000_000} {
		within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update"))
		within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
		r := within(t, ctx, 5*time.Minute, chromedp.Evaluate[run](string(src)+"("+strconv.Itoa(n)+", 16)", chromedp.EvalAwaitPromise))
		got[n] = r
		t.Logf("%d events: fed in %.0f ms, JS heap %.0f MB", r.Events, r.FeedMs, r.HeapMB)
		for _, f := range r.Results {
			t.Logf("  %-40s %5.1f fps; draw p50 %.1f ms, p95 %.1f ms", f.Name, f.FPS, f.DrawP50, f.DrawP95)
		}
	}
	a, b := got[200_000], got[1_000_000]
	for i := range a.Results {
		if i < len(b.Results) && a.Results[i].FPS > 0 {
			t.Logf("1M/200k %-40s fps ratio %.2f", a.Results[i].Name, b.Results[i].FPS/a.Results[i].FPS)
		}
	}
	if a.HeapMB > 0 {
		t.Logf("1M/200k JS heap ratio %.2f", b.HeapMB/a.HeapMB)
	}
}
