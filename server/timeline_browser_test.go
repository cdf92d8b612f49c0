package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The timeline's model as window.interleave.timeline shows it.
type tlLane struct {
	Thread     int
	Name       string
	State      string
	Deadlocked bool
	Events     int
	Spans      int
	Instants   int
	HoldRows   int
	Flags      int
}

type tlSpan struct {
	Th         int
	Kind       string
	Obj        *string
	T0         float64
	T1         *float64
	Row        int
	Unfinished bool
	Cycle      bool
}

type tlEnd struct {
	Th  int
	T   float64
	Seq int
}

type tlArrow struct {
	Kind     string
	Obj      *string
	From, To tlEnd
}

type tlEdge struct {
	Th         int
	Thread     string
	Op         string
	Obj        string
	Holder     int
	HolderName string `json:"holder_name"`
	Drawn      bool
}

type tlView struct {
	T0, T1        float64
	Width, Height float64
}

type tlPoint struct {
	X, Y float64
	K    string
	Line int
}

// evaluate runs an expression in the page and decodes its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return within(t, ctx, 10*time.Second, chromedp.Evaluate[T](expr))
}

// waitFor polls an expression until it is truthy and returns its value.
func waitFor[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Poll[T](expr, chromedp.WithPollingInterval(20*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return v
}

const finalStatus = `(() => {
	const s = document.querySelector('[data-testid="status"]').textContent;
	return ["ok", "failed", "error", "deadlock", "panic", "timeout", "limit", "stopped"].includes(s) ? s : null;
})()`

// runPage opens a scenario page, presses Run and waits for the result.
func runPage(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	within(t, ctx, 30*time.Second, chromedp.Navigate(url))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	return pressRun(t, ctx)
}

// runRacy runs a racy scenario's page, whose checks may hold or fail but
// whose run must end normally.
func runRacy(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if status := runPage(t, ctx, url); status != "ok" && status != "failed" {
		t.Fatalf("status = %q, want ok or failed", status)
	}
}

func pressRun(t *testing.T, ctx context.Context) string {
	t.Helper()
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="run"]`)))
	return waitFor[string](t, ctx, "the run's result", finalStatus)
}

func viewport(t *testing.T, ctx context.Context, w, h int64) {
	t.Helper()
	within(t, ctx, 5*time.Second, chromedp.EmulateViewport(w, h))
}

func countArrows(arrows []tlArrow) map[string]int {
	n := map[string]int{}
	for _, a := range arrows {
		n[a.Kind]++
	}
	return n
}

func TestTimelineLostUpdate(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	runRacy(t, ctx, ts.URL+"/s/lost-update?threads=3&iterations=200")

	// One lane per thread, main first, named, with every event drawn.
	lanes := evaluate[[]tlLane](t, ctx, `window.interleave.timeline.lanes`)
	wantNames := []string{"main", "worker-0", "worker-1", "worker-2"}
	if len(lanes) != len(wantNames) {
		t.Fatalf("lanes = %+v, want %v", lanes, wantNames)
	}
	for i, l := range lanes {
		if l.Thread != i || l.Name != wantNames[i] {
			t.Errorf("lane %d = thread %d %q, want thread %d %q", i, l.Thread, l.Name, i, wantNames[i])
		}
		if i > 0 && (l.Instants < 400 || l.State != "ended") {
			t.Errorf("lane %s: %d instants, state %q; want at least 400 (200 gets, 200 sets), ended", l.Name, l.Instants, l.State)
		}
	}
	hooks := within(t, ctx, 5*time.Second, chromedp.AttributesAll(chromedp.CSSAll(`[data-testid="lane"]`)))
	for _, h := range hooks {
		id := h["data-thread"]
		var want int
		for _, l := range lanes {
			if fmt.Sprint(l.Thread) == id {
				want = l.Events
			}
		}
		if h["data-drawn"] != fmt.Sprint(want) || want == 0 {
			t.Errorf("lane %s data-drawn = %q, want %d", id, h["data-drawn"], want)
		}
	}

	screenshot(t, ctx, "timeline-lost-update-1280")

	// Arrows: main spawns each worker and joins each.
	arrows := evaluate[[]tlArrow](t, ctx, `window.interleave.timeline.arrows`)
	n := countArrows(arrows)
	if n["spawn"] != 3 || n["join"] != 3 {
		t.Errorf("arrows = %v, want 3 spawn and 3 join", n)
	}
	for _, a := range arrows {
		switch a.Kind {
		case "spawn":
			if a.From.Th != 0 || a.To.Th == 0 || a.To.T < a.From.T {
				t.Errorf("spawn arrow %+v, want from main to a worker, forward in time", a)
			}
		case "join":
			if a.To.Th != 0 || a.From.Th == 0 || a.To.T < a.From.T {
				t.Errorf("join arrow %+v, want from a worker's end to main, forward in time", a)
			}
		}
	}
	if got := evaluate[string](t, ctx, `document.querySelector('[data-testid="timeline"]').dataset.arrowsSpawn`); got != "3" {
		t.Errorf("timeline data-arrows-spawn = %q, want 3", got)
	}
	counter := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cells"] [data-cell="counter"] strong`)))
	if counter == "" {
		t.Error("the result panel shows no final counter")
	}

	// The os mode records OS threads: the lanes can be grouped by them.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="group-os"]`)))
	osLanes := waitFor[int](t, ctx, "OS-thread lanes", `document.querySelectorAll('[data-testid="os-lane"]').length || null`)
	if osLanes < 2 {
		t.Errorf("%d OS-thread lanes, want one per OS thread (at least 2)", osLanes)
	}
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="group-os"]`)))
	waitFor[bool](t, ctx, "thread lanes back", `document.querySelectorAll('[data-testid="lane"]').length === 4`)

	// Zoom: the button narrows the view window around its centre; fit
	// shows the whole run again.
	v0 := evaluate[tlView](t, ctx, `window.interleave.timeline.view`)
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="zoom-in"]`)))
	v1 := waitFor[tlView](t, ctx, "a narrower view", fmt.Sprintf(`(() => {
		const v = window.interleave.timeline.view;
		return v.t1 - v.t0 < %f ? v : null;
	})()`, 0.7*(v0.T1-v0.T0)))
	mid0, mid1 := (v0.T0+v0.T1)/2, (v1.T0+v1.T1)/2
	if d := mid1 - mid0; d > (v0.T1-v0.T0)/50 || d < -(v0.T1-v0.T0)/50 {
		t.Errorf("zoom in moved the view's centre from %.0f to %.0f", mid0, mid1)
	}
	// The view window is mirrored into the hook once drawn.
	waitFor[bool](t, ctx, "data-view-t1 to follow the zoom", fmt.Sprintf(`Math.abs(Number(document.querySelector('[data-testid="timeline"]').dataset.viewT1) - %f) <= 1`, v1.T1))
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="fit"]`)))
	waitFor[bool](t, ctx, "the fitted view", fmt.Sprintf(`(() => {
		const v = window.interleave.timeline.view;
		return Math.abs((v.t1 - v.t0) - %f) < %f;
	})()`, v0.T1-v0.T0, (v0.T1-v0.T0)/100))

	// Click on an event: its script line is marked in the editor. The
	// click is a real mouse click at the event's place on the canvas.
	seq := evaluate[int](t, ctx, `window.interleave.model.threads.get(2).marks.find((e) => e.k === "set").seq`)
	p := evaluate[tlPoint](t, ctx, fmt.Sprintf(`window.interleave.timeline.locate(%d, {separate: true})`, seq))
	if p.K != "set" || p.Line == 0 {
		t.Fatalf("locate(%d) = %+v, want a set with a line", seq, p)
	}
	within(t, ctx, 5*time.Second, chromedp.MouseClickXY(p.X, p.Y))
	waitFor[bool](t, ctx, "the clicked event selected", fmt.Sprintf(`document.querySelector('[data-testid="timeline"]').dataset.selected === "%d"`, seq))
	marked := evaluate[string](t, ctx, `document.querySelector('[data-testid="editor-pane"]').dataset.markedLine + "|" + document.querySelector('.gutter .mark').textContent`)
	if want := fmt.Sprintf("%d|%d", p.Line, p.Line); marked != want {
		t.Errorf("after clicking event %d (line %d) the editor marks %q, want %q", seq, p.Line, marked, want)
	}
	sel := evaluate[string](t, ctx, `(() => { const t = document.querySelector('[data-testid="editor"]'); return t.value.slice(t.selectionStart, t.selectionEnd); })()`)
	if !strings.Contains(sel, "counter.set(") {
		t.Errorf("the editor selects %q, want the line with counter.set(", sel)
	}

	// Click on a script line number: its events are highlighted.
	getLine := evaluate[int](t, ctx, `window.interleave.model.threads.get(1).marks.find((e) => e.k === "get").line`)
	wantHL := evaluate[int](t, ctx, fmt.Sprintf(`window.interleave.model.events.filter((e) => e.line === %d).length`, getLine))
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`.gutter [data-line="%d"]`, getLine))))
	hl := waitFor[string](t, ctx, "the line's events highlighted", fmt.Sprintf(`(() => {
		const d = document.querySelector('[data-testid="timeline"]').dataset;
		return d.highlightLine === "%d" ? d.highlighted : null;
	})()`, getLine))
	if hl != fmt.Sprint(wantHL) || wantHL < 600 {
		t.Errorf("line %d highlights %s events, want %d (at least 600 reads)", getLine, hl, wantHL)
	}
	chip := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="line-chip"] .chip-text`)))
	if !strings.Contains(chip, fmt.Sprintf("Line %d", getLine)) {
		t.Errorf("line chip = %q, want it to name line %d", chip, getLine)
	}
	screenshot(t, ctx, "timeline-click-to-line-1280")

	// The event log: filtered by thread and kind, virtualized.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-view="log"]`)))
	rows := waitFor[int](t, ctx, "filtered log rows", `(() => {
		const th = document.querySelector('[data-testid="log-thread"]');
		const k = document.querySelector('[data-testid="log-kind"]');
		th.value = "2"; th.dispatchEvent(new Event("change"));
		k.value = "kind:get"; k.dispatchEvent(new Event("change"));
		return window.interleave.log.rows;
	})()`)
	if rows != 200 {
		t.Errorf("log filtered to worker-1's gets has %d rows, want 200", rows)
	}
	// Only rows in view are in the DOM, and all of them pass the filter.
	rendered := waitFor[int](t, ctx, "the log to render only worker-1's gets", `(() => {
		const rows = [...document.querySelectorAll('[data-testid="event-log"] tbody tr[data-seq]')];
		return rows.length && rows.every((r) => r.dataset.kind === "get" && r.dataset.thread === "2") ? rows.length : null;
	})()`)
	if rendered >= rows {
		t.Errorf("the log renders %d rows of %d, want only those in view", rendered, rows)
	}
	screenshot(t, ctx, "event-log-1280")
}

func TestTimelineDeadlock(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	// Seed 3 deadlocks today; try a few more if the scheduler changes.
	var seed int
	var status string
	for seed = 3; seed < 30; seed++ {
		status = runPage(t, ctx, fmt.Sprintf("%s/s/two-locks?mode=sim&seed=%d", ts.URL, seed))
		if status == "deadlock" {
			break
		}
	}
	if status != "deadlock" {
		t.Fatalf("no seed from 3 to 29 deadlocks two-locks; last status %q", status)
	}

	cycle := evaluate[[]tlEdge](t, ctx, `window.interleave.timeline.cycle`)
	if len(cycle) < 2 {
		t.Fatalf("cycle = %+v, want two edges (alpha and beta)", cycle)
	}
	spans := evaluate[[]tlSpan](t, ctx, `window.interleave.timeline.spans`)
	holds := 0
	for _, s := range spans {
		if s.Kind == "hold" {
			holds++
		}
	}
	if holds < 2 {
		t.Errorf("%d lock hold spans, want at least 2", holds)
	}
	for _, e := range cycle {
		if !e.Drawn {
			t.Errorf("cycle edge %+v is not drawn", e)
		}
		// The holder's hold of the lock and the waiter's wait are drawn
		// as spans and marked as part of the cycle.
		var hold, wait bool
		for _, s := range spans {
			if s.Obj == nil || *s.Obj != e.Obj || !s.Cycle {
				continue
			}
			if s.Kind == "hold" && s.Th == e.Holder && s.Row > 0 {
				hold = true
			}
			if s.Kind == "wait" && s.Th == e.Th {
				wait = true
			}
		}
		if !hold || !wait {
			t.Errorf("cycle edge %s waits for %s held by %s: hold span drawn %v, wait span drawn %v", e.Thread, e.Obj, e.HolderName, hold, wait)
		}
	}
	banner := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cycle-banner"]`)))
	for _, w := range []string{"Deadlock", "alpha", "beta", "first", "second", "Neither can go on"} {
		if !strings.Contains(banner, w) {
			t.Errorf("cycle banner %q lacks %q", banner, w)
		}
	}
	states := evaluate[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('[data-testid="lane"]')].map((l) => [l.dataset.name, l.dataset.state]))`)
	if states["alpha"] != "deadlocked" || states["beta"] != "deadlocked" {
		t.Errorf("lane states = %v, want alpha and beta deadlocked", states)
	}
	if n := countArrows(evaluate[[]tlArrow](t, ctx, `window.interleave.timeline.arrows`)); n["spawn"] != 2 {
		t.Errorf("arrows = %v, want 2 spawn", n)
	}
	if got := evaluate[string](t, ctx, `document.querySelector('[data-testid="timeline"]').dataset.cycle`); got != fmt.Sprint(len(cycle)) {
		t.Errorf("timeline data-cycle = %q, want %d", got, len(cycle))
	}
	if got := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cycle"]`))); !strings.Contains(got, "alpha waits for") || !strings.Contains(got, "held by beta") {
		t.Errorf("result panel cycle = %q", got)
	}
	screenshot(t, ctx, "timeline-deadlock-1280")

	// The same seed draws the same events, spans and arrows.
	type digest struct {
		Events      int
		Hash, Shape string
	}
	const digestJS = `({events: window.interleave.timeline.events, hash: window.interleave.timeline.hash(), shape: window.interleave.timeline.shapeHash()})`
	first := evaluate[digest](t, ctx, digestJS)
	if status := pressRun(t, ctx); status != "deadlock" {
		t.Fatalf("second run with seed %d: status %q, want deadlock again", seed, status)
	}
	second := evaluate[digest](t, ctx, digestJS)
	if first != second || first.Events == 0 {
		t.Errorf("seed %d drew %+v, then %+v; want the same, non-empty", seed, first, second)
	}
}

func TestTimelinePhone(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 390, 844)
	runRacy(t, ctx, ts.URL+"/s/lost-update?threads=3&iterations=100&mode=sim&seed=2")
	if n := evaluate[int](t, ctx, `document.querySelectorAll('[data-testid="lane"]').length`); n != 4 {
		t.Errorf("%d lanes on a phone, want 4", n)
	}
	// Nothing sticks out sideways, and the canvas gets a usable width.
	wide := evaluate[[]float64](t, ctx, `[document.documentElement.scrollWidth, window.interleave.timeline.view.width]`)
	if wide[0] > 391 {
		t.Errorf("page is %.0f px wide on a 390 px screen", wide[0])
	}
	if wide[1] < 200 {
		t.Errorf("timeline canvas is %.0f px wide on a phone, want at least 200", wide[1])
	}
	// The catalogue folds into a menu.
	if vis := evaluate[bool](t, ctx, `getComputedStyle(document.querySelector('[data-testid="catalogue"]')).display !== "none"`); vis {
		t.Error("the catalogue shows on a phone before the menu is opened")
	}
	screenshot(t, ctx, "timeline-lost-update-390")
}

type benchFrames struct {
	Name                      string
	Frames                    int
	FPS                       float64
	DrawP50, DrawP95, DrawMax float64
}

type benchResult struct {
	Events, Lanes, Spans, Arrows int
	FirstBatchMs, FeedMs         float64
	AllDrawnMs                   float64
	DPR                          float64
	Canvas                       string
	Results                      []benchFrames
}

// TestTimelineBenchmark measures the timeline in a real browser: frames
// per second while zooming and panning 200,000 events fed straight into
// the page, and the time from pressing Run to the first drawn event over
// the socket. It is a benchmark, not a test: it runs only with
// INTERLEAVE_BENCH_BROWSER=1, logs its numbers, writes them to
// $ARTIFACTS/timeline-bench.json and asserts nothing about speed.
// docs/timeline.md keeps the numbers of the last measurement.
func TestTimelineBenchmark(t *testing.T) {
	if os.Getenv("INTERLEAVE_BENCH_BROWSER") == "" {
		t.Skip("a benchmark: set INTERLEAVE_BENCH_BROWSER=1 to run it")
	}
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	out := map[string]any{"cpus": runtime.NumCPU()}

	// Time to first drawn event after Run, over the socket.
	type firsts struct{ Event, Drawn float64 }
	const firstsJS = `(() => { const s = window.interleave.timeline.stats; return {event: s.firstEventAt - s.runAt, drawn: s.firstDrawnAt - s.runAt}; })()`
	ttfe := map[string]any{}
	for _, page := range []string{
		"/s/lost-update",
		"/s/lost-update?mode=sim&seed=1",
		"/s/two-locks?mode=sim&seed=3",
	} {
		runPage(t, ctx, ts.URL+page) // warm up: socket open, child binary cached
		var ev, dr []float64
		for range 5 {
			pressRun(t, ctx)
			f := evaluate[firsts](t, ctx, firstsJS)
			ev = append(ev, f.Event)
			dr = append(dr, f.Drawn)
		}
		sort.Float64s(ev)
		sort.Float64s(dr)
		ttfe[page] = map[string]float64{"firstEventMs": ev[len(ev)/2], "firstDrawnMs": dr[len(dr)/2]}
		t.Logf("%s: Run to first event %.1f ms, to first drawn event %.1f ms (median of 5)", page, ev[len(ev)/2], dr[len(dr)/2])
	}
	out["timeToFirstEvent"] = ttfe

	// 200,000 synthetic events, zoomed and panned.
	src, err := os.ReadFile("testdata/timeline_bench.js")
	if err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	res := within(t, ctx, 3*time.Minute, chromedp.Evaluate[benchResult](string(src)+"(200000, 16)", chromedp.EvalAwaitPromise))
	t.Logf("%d events on %d lanes (%d spans, %d arrows), canvas %s at dpr %.0f: first batch of 2000 fed and drawn in %.1f ms; all fed in %.0f ms and drawn by %.0f ms",
		res.Events, res.Lanes, res.Spans, res.Arrows, res.Canvas, res.DPR, res.FirstBatchMs, res.FeedMs, res.AllDrawnMs)
	for _, r := range res.Results {
		t.Logf("%-40s %5.1f fps over %d frames; draw p50 %.1f ms, p95 %.1f ms, max %.1f ms", r.Name, r.FPS, r.Frames, r.DrawP50, r.DrawP95, r.DrawMax)
	}
	out["synthetic"] = res
	screenshot(t, ctx, "timeline-bench-200k")
	if dir := os.Getenv("ARTIFACTS"); dir != "" {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(filepath.Join(dir, "timeline-bench.json"), b, 0o644); err != nil {
			t.Error(err)
		}
	}
}

// TestDeadlockBannerCounts checks that the deadlock banner is worded for
// the number of threads in the cycle: one that waits for itself, and
// five philosophers (the two-thread wording is checked above).
func TestDeadlockBannerCounts(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	for _, tt := range []struct{ path, want string }{
		{"/s/relock?mode=sim", "It waits for itself and can never go on"},
		{"/s/dining-philosophers?mode=sim", "None of the 5 threads can go on"},
	} {
		if status := runPage(t, ctx, ts.URL+tt.path); status != "deadlock" {
			t.Fatalf("run %s = %q, want deadlock", tt.path, status)
		}
		banner := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cycle-banner"]`)))
		if !strings.Contains(banner, tt.want) || strings.Contains(banner, "Neither") {
			t.Errorf("run %s: cycle banner = %q, want %q", tt.path, banner, tt.want)
		}
	}
}
