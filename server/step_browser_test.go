package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// stepView is what the step panel shows at its cursor.
type stepView struct {
	Cursor  int    `json:"cursor"`
	Seq     string `json:"seq"`
	Event   string `json:"event"`
	Pos     string `json:"pos"`
	Scrub   string `json:"scrub"`
	Lines   string `json:"lines"`
	Threads []struct {
		Th    int    `json:"th"`
		State string `json:"state"`
		Line  string `json:"line"`
		Text  string `json:"text"`
	} `json:"threads"`
	Objects []struct {
		Obj    string `json:"obj"`
		Kind   string `json:"kind"`
		Value  string `json:"value"`
		Holder string `json:"holder"`
		Text   string `json:"text"`
	} `json:"objects"`
	Ringed bool `json:"ringed"`
}

const readStep = `(() => {
	const p = document.querySelector('[data-testid="step"]');
	const q = (id) => p.querySelector('[data-testid="' + id + '"]');
	const tl = window.interleave.timeline;
	return {
		cursor: window.interleave.step.cursor, seq: p.dataset.seq, event: q("step-event").textContent,
		pos: q("step-pos").textContent, scrub: q("step-scrub").value,
		lines: document.querySelector('[data-testid="editor-pane"]').dataset.threadLines || "",
		threads: [...q("step-threads").children].map((li) => ({ th: Number(li.dataset.thread), state: li.dataset.state, line: li.dataset.line, text: li.textContent })),
		objects: [...q("step-objects").children].map((li) => ({ obj: li.dataset.obj, kind: li.dataset.kind, value: li.dataset.value, holder: li.dataset.holder, text: li.textContent })),
		ringed: !!document.querySelector('.timeline') && tl.events.length > 0,
	};
})()`

func readStepView(t *testing.T, ctx context.Context) stepView {
	t.Helper()
	return evaluate[stepView](t, ctx, readStep)
}

func clickStep(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, id))))
}

// stepEvent is one of the page's events.
type stepEvent struct {
	Seq  int    `json:"seq"`
	Th   int    `json:"th"`
	K    string `json:"k"`
	Obj  string `json:"obj"`
	V    any    `json:"v"`
	Line int    `json:"line"`
}

// firstIndex is the index in the page's events of the first event that
// js (a predicate of e) accepts.
func firstIndex(t *testing.T, ctx context.Context, js string) (int, stepEvent) {
	t.Helper()
	i := evaluate[int](t, ctx, fmt.Sprintf(`window.interleave.model.events.findIndex((e) => %s)`, js))
	if i < 0 {
		t.Fatalf("no event where %s", js)
	}
	e := evaluate[stepEvent](t, ctx, fmt.Sprintf(`window.interleave.model.events.at(%d)`, i))
	return i, e
}

// Stepping a lost-update sim run forward and back: the cursor, the event
// in a sentence, the counter's value, the threads' lines in the script,
// the scrubber and the keys with the timeline focused.
func TestStepLostUpdate(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 900)
	runPage(t, ctx, ts.URL+"/s/lost-update?threads=2&iterations=3&mode=sim&seed=1")
	waitFor[bool](t, ctx, "the step panel", `!document.querySelector('[data-testid="step"]').hidden && window.interleave.step.ready`)

	v := readStepView(t, ctx)
	if v.Cursor != -1 || !strings.HasPrefix(v.Event, "Before the first event") || v.Scrub != "-1" {
		t.Fatalf("after the run: cursor %d, event %q, scrubber %q; want -1, before the first event", v.Cursor, v.Event, v.Scrub)
	}
	clickStep(t, ctx, "step-next")
	v = readStepView(t, ctx)
	if v.Cursor != 0 || v.Seq != "0" || !strings.HasPrefix(v.Event, "main starts") || v.Scrub != "0" {
		t.Fatalf("after next: cursor %d (seq %s), event %q, scrubber %s; want event 0, main starts", v.Cursor, v.Seq, v.Event, v.Scrub)
	}

	// The first write of counter, reached with the scrubber: its value
	// is the counter's, its thread is on its line.
	i, set := firstIndex(t, ctx, `e.k === "set" && e.obj === "counter"`)
	within(t, ctx, 5*time.Second, chromedp.Evaluate[any](fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid="step-scrub"]');
		s.value = "%d";
		s.dispatchEvent(new Event("input"));
	})()`, i)))
	v = readStepView(t, ctx)
	if v.Cursor != i || v.Seq != fmt.Sprint(set.Seq) {
		t.Fatalf("after scrubbing to %d: cursor %d (seq %s), want %d (seq %d)", i, v.Cursor, v.Seq, i, set.Seq)
	}
	counter := ""
	for _, o := range v.Objects {
		if o.Obj == "counter" {
			counter = o.Value
		}
	}
	if counter != fmt.Sprint(set.V) {
		t.Errorf("counter at seq %d = %q, want %v (objects %+v)", set.Seq, counter, set.V, v.Objects)
	}
	if want := fmt.Sprintf("%d:%d", set.Th, set.Line); !strings.Contains(" "+v.Lines+" ", " "+want+" ") {
		t.Errorf("editor's thread lines = %q, want %s among them", v.Lines, want)
	}
	if n := evaluate[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('.gutter [data-line="%d"].step').length`, set.Line)); n != 1 {
		t.Errorf("gutter line %d marked for a thread %d times, want once", set.Line, n)
	}
	if !strings.Contains(v.Event, fmt.Sprintf("writes counter ← %v, line %d", set.V, set.Line)) {
		t.Errorf("event sentence = %q, want the write of %v at line %d", v.Event, set.V, set.Line)
	}

	screenshot(t, ctx, "step-at-first-write")

	// Back one event, then the keys, with the timeline focused.
	clickStep(t, ctx, "step-prev")
	if v = readStepView(t, ctx); v.Cursor != i-1 {
		t.Fatalf("after previous: cursor %d, want %d", v.Cursor, i-1)
	}
	within(t, ctx, 5*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="timeline"]`)))
	within(t, ctx, 5*time.Second, chromedp.KeyEvent("."))
	within(t, ctx, 5*time.Second, chromedp.KeyEvent("."))
	if v = readStepView(t, ctx); v.Cursor != i+1 {
		t.Fatalf("after . twice: cursor %d, want %d", v.Cursor, i+1)
	}
	within(t, ctx, 5*time.Second, chromedp.KeyEvent(","))
	if v = readStepView(t, ctx); v.Cursor != i {
		t.Fatalf("after ,: cursor %d, want %d", v.Cursor, i)
	}
	// By thread: the next event of the chosen thread is the thread's.
	within(t, ctx, 5*time.Second, chromedp.KeyEvent(">"))
	v = readStepView(t, ctx)
	e := evaluate[stepEvent](t, ctx, fmt.Sprintf(`window.interleave.model.events.at(%d)`, v.Cursor))
	if v.Cursor <= i || e.Th != set.Th {
		t.Errorf("after >: cursor %d on thread %d, want after %d on thread %d", v.Cursor, e.Th, i, set.Th)
	}
	// Keys typed in the script do not move the cursor.
	at := v.Cursor
	within(t, ctx, 5*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="editor"]`)))
	within(t, ctx, 5*time.Second, chromedp.KeyEvent("."))
	if v = readStepView(t, ctx); v.Cursor != at {
		t.Errorf("a . typed in the script moved the cursor from %d to %d", at, v.Cursor)
	}
	// To the last event and to the next finding (a lost update, when
	// the run has one) from the start.
	clickStep(t, ctx, "step-last")
	n := evaluate[int](t, ctx, `window.interleave.model.events.length`)
	if v = readStepView(t, ctx); v.Cursor != n-1 || v.Pos != fmt.Sprintf("event %d of %d", n, n) {
		t.Errorf("after last: cursor %d, %q; want %d", v.Cursor, v.Pos, n-1)
	}
	// The next finding from the start is the first access of a race
	// finding, in the run's findings.
	clickStep(t, ctx, "step-first")
	clickStep(t, ctx, "step-finding-next")
	v = readStepView(t, ctx)
	first := evaluate[int](t, ctx, `Math.min(...window.interleave.step.findings)`)
	inRace := evaluate[bool](t, ctx, fmt.Sprintf(`window.interleave.timeline.races.some((r) => r.seqs.includes(%s))`, v.Seq))
	if v.Cursor != first || !inRace {
		t.Errorf("after next finding: cursor %d (seq %s, in a race finding: %v), want the first finding %d", v.Cursor, v.Seq, inRace, first)
	}
	screenshot(t, ctx, "step-lost-update")

	// On a phone the buttons fit the screen and a tap steps.
	viewport(t, ctx, 390, 844)
	within(t, ctx, 5*time.Second, chromedp.ScrollIntoView(chromedp.CSS(`[data-testid="step-next"]`)))
	right := evaluate[float64](t, ctx, `Math.max(...[...document.querySelectorAll('[data-testid="step"] button')].map((b) => b.getBoundingClientRect().right))`)
	if right > 390 {
		t.Errorf("step buttons reach x = %v on a 390 px screen", right)
	}
	clickStep(t, ctx, "step-next")
	if v2 := readStepView(t, ctx); v2.Cursor != v.Cursor+1 {
		t.Errorf("after a tap on next: cursor %d, want %d", v2.Cursor, v.Cursor+1)
	}
	screenshot(t, ctx, "step-phone")
}

// The state at a known event of counter-mutex: the counter's value and
// the lock's holder while a worker holds it.
func TestStepCounterMutex(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 900)
	runPage(t, ctx, ts.URL+"/s/counter-mutex?threads=2&iterations=2&mode=sim&seed=1")
	waitFor[bool](t, ctx, "the step panel", `window.interleave.step.ready`)
	i, get := firstIndex(t, ctx, `e.k === "get" && e.obj === "counter" && e.v === 1`)
	name := evaluate[string](t, ctx, fmt.Sprintf(`window.interleave.model.threads.get(%d).name`, get.Th))
	within(t, ctx, 5*time.Second, chromedp.Evaluate[any](fmt.Sprintf(`window.interleave.step.moveTo(%d)`, i)))
	v := readStepView(t, ctx)
	var cell, lock string
	for _, o := range v.Objects {
		switch o.Kind {
		case "cell":
			cell = o.Value
		case "lock":
			lock = o.Holder
		}
	}
	if cell != "1" || lock != name {
		t.Errorf("at seq %d (%s reads counter = 1): counter %q, lock held by %q; want 1, %s (objects %+v)", get.Seq, name, cell, lock, name, v.Objects)
	}
	for _, th := range v.Threads {
		if th.Th == get.Th && (th.State != "running" || th.Line != fmt.Sprint(get.Line)) {
			t.Errorf("%s at the cursor: %+v, want running at line %d", name, th, get.Line)
		}
	}
	// A click on an event of the timeline puts the cursor on it.
	within(t, ctx, 5*time.Second, chromedp.Evaluate[any](`window.interleave.timeline.select(2)`))
	if v = readStepView(t, ctx); v.Seq != "2" {
		t.Errorf("after selecting seq 2: cursor on seq %q, want 2", v.Seq)
	}
}

// A recorded run (/r/ID) steps as a live one does, without running
// anything: the state at a channel's first message shows it held.
func TestStepRecordedRun(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 900)
	runPage(t, ctx, ts.URL+"/s/message-stream?mode=sim&seed=1")
	link := shareLink(t, ctx, "share-run")

	ctx2 := newBrowser(t)
	viewport(t, ctx2, 1280, 900)
	within(t, ctx2, 30*time.Second, chromedp.Navigate(link))
	waitFor[string](t, ctx2, "the recorded run drawn", finalStatus)
	waitFor[bool](t, ctx2, "the step panel", `window.interleave.step.ready`)
	i, sent := firstIndex(t, ctx2, `e.k === "sent"`)
	clickStep(t, ctx2, "step-first")
	for k := 0; k <= i; k++ {
		clickStep(t, ctx2, "step-next")
	}
	v := readStepView(t, ctx2)
	if v.Cursor != i {
		t.Fatalf("after %d steps: cursor %d, want %d", i+1, v.Cursor, i)
	}
	var held string
	for _, o := range v.Objects {
		if o.Obj == sent.Obj {
			held = o.Text
		}
	}
	if want := fmt.Sprintf("%s: holds %q", sent.Obj, sent.V); !strings.HasPrefix(held, want) {
		t.Errorf("channel at the first sent = %q, want it to start %q", held, want)
	}
	if n := evaluate[int](t, ctx2, `window.interleave.runs`); n != 0 {
		t.Errorf("the replay page asked for %d runs, want none", n)
	}
}
