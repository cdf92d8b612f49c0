package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The analysis's findings as window.interleave.timeline shows them.
type tlRace struct {
	Kind  string
	Obj   string
	Text  string
	Seqs  []int
	Lines []int
	Found int
}

// The finding drawn over the lanes.
type tlShownRace struct {
	Index  int
	Kind   string
	Obj    string
	Label  string
	Events []struct {
		Seq  int
		Th   int
		T    float64
		X, Y *float64
	}
	InView bool
}

// runUntilRace runs a sim-mode scenario from seed first on until its
// findings include one of kind, and returns the seed and the findings.
func runUntilRace(t *testing.T, ctx context.Context, base, kind string, first, last int) (int, []tlRace) {
	t.Helper()
	for seed := first; seed <= last; seed++ {
		runPage(t, ctx, fmt.Sprintf("%s&mode=sim&seed=%d", base, seed))
		races := evaluate[[]tlRace](t, ctx, `window.interleave.timeline.races`)
		for _, r := range races {
			if r.Kind == kind {
				return seed, races
			}
		}
	}
	t.Fatalf("no seed from %d to %d gives a %s at %s", first, last, kind, base)
	return 0, nil
}

func shownRace(t *testing.T, ctx context.Context) tlShownRace {
	t.Helper()
	return evaluate[tlShownRace](t, ctx, `window.interleave.timeline.race`)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return evaluate[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "")`, sel))
}

func TestRaceLostUpdate(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	seed, races := runUntilRace(t, ctx, ts.URL+"/s/lost-update?threads=3&iterations=200", "lost update", 1, 10)
	if races[0].Kind != "lost update" || races[0].Obj != "counter" || len(races[0].Seqs) != 3 || races[0].Found != 3 {
		t.Fatalf("seed %d: first finding = %+v, want a lost update on counter with its 3 events", seed, races[0])
	}

	// The first finding is drawn at once: three events ringed, labelled.
	r := shownRace(t, ctx)
	if r.Index != 0 || r.Label != "lost update on counter" || len(r.Events) != 3 {
		t.Fatalf("race on show = %+v, want finding 0, labelled, with 3 events", r)
	}
	for _, e := range r.Events {
		if e.X == nil {
			t.Fatalf("race on show = %+v: event %d not drawn", r, e.Seq)
		}
	}

	// The result panel: counts, one line per finding, the sentence.
	counts := text(t, ctx, `[data-testid="race-counts"]`)
	if !strings.Contains(counts, "lost updates on counter") && !strings.Contains(counts, "1 lost update on counter") {
		t.Errorf("race counts = %q, want the lost updates on counter counted", counts)
	}
	items := evaluate[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="race-list"] .race-item')].map((b) => b.textContent)`)
	if len(items) != len(races) || items[0] != races[0].Text || !strings.Contains(items[0], "lost") {
		t.Fatalf("race list = %q, want one line per finding, the first %q", items, races[0].Text)
	}

	// A click on the second finding zooms the timeline onto it and marks
	// its lines in the script.
	before := evaluate[tlView](t, ctx, `window.interleave.timeline.view`)
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="race-list"] li:nth-child(2) .race-item`)))
	r = waitFor[tlShownRace](t, ctx, "finding 1 in view", `(() => { const r = window.interleave.timeline.race; return r && r.index === 1 && r.inView ? r : null; })()`)
	after := evaluate[tlView](t, ctx, `window.interleave.timeline.view`)
	if after.T1-after.T0 >= before.T1-before.T0 {
		t.Errorf("view after the click = %+v, want narrower than %+v", after, before)
	}
	marked := evaluate[string](t, ctx, `document.querySelector('[data-testid="editor-pane"]').dataset.markedLines || ""`)
	if want := strings.Trim(fmt.Sprint(races[1].Lines), "[]"); marked != want || want == "" {
		t.Errorf("editor marks lines %q after a click on a finding, want %q", marked, want)
	}
	screenshot(t, ctx, "race-lost-update")

	// Next, previous, and the keys N and P when the timeline has focus.
	if len(races) > 3 {
		within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="race-next"]`)))
		waitFor[bool](t, ctx, "finding 2 after Next", `window.interleave.timeline.race?.index === 2 && window.interleave.timeline.race.inView`)
		within(t, ctx, 10*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="timeline"]`)))
		within(t, ctx, 10*time.Second, chromedp.KeyEvent("n"))
		waitFor[bool](t, ctx, "finding 3 after N", `window.interleave.timeline.race?.index === 3 && window.interleave.timeline.race.inView`)
		within(t, ctx, 10*time.Second, chromedp.KeyEvent("p"))
		waitFor[bool](t, ctx, "finding 2 after P", `window.interleave.timeline.race?.index === 2`)
		within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="race-prev"]`)))
		waitFor[bool](t, ctx, "finding 1 after Previous", `window.interleave.timeline.race?.index === 1`)
	}

	// The SVG export draws it too, in the light and in the dark scheme.
	light := evaluate[string](t, ctx, `window.interleave.svg()`)
	for _, want := range []string{`data-race-ring="0"`, `data-race-ring="2"`, `data-race-arrow="1"`, "lost update on counter"} {
		if !strings.Contains(light, want) {
			t.Errorf("SVG lacks %s", want)
		}
	}
	within(t, ctx, 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	dark := waitFor[string](t, ctx, "the dark race colour", `(() => { const s = window.interleave.svg(); return s.includes('stroke="#f0abfc" stroke-width="2.5" data-race-ring') ? s : ""; })()`)
	if !strings.Contains(dark, "lost update on counter") {
		t.Errorf("dark SVG lacks the label")
	}
	screenshot(t, ctx, "race-lost-update-dark")
}

func TestRaceVerdicts(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)

	// counter-mutex: no finding, nothing listed or drawn.
	status := runPage(t, ctx, ts.URL+"/s/counter-mutex?threads=2&iterations=50&mode=sim&seed=1")
	if status != "ok" {
		t.Fatalf("counter-mutex status = %q, want ok", status)
	}
	if n := evaluate[int](t, ctx, `window.interleave.timeline.races.length`); n != 0 {
		t.Errorf("counter-mutex has %d findings, want none", n)
	}
	if got := evaluate[bool](t, ctx, `!!document.querySelector('[data-testid="race-list"], [data-testid="luck"]') || window.interleave.timeline.race !== null`); got {
		t.Errorf("counter-mutex shows a race")
	}

	// check-then-act: a stale read on the balance, drawn with its three events.
	seed, races := runUntilRace(t, ctx, ts.URL+"/s/check-then-act?", "stale read", 0, 60)
	var stale tlRace
	for _, r := range races {
		if r.Kind == "stale read" {
			stale = r
			break
		}
	}
	if stale.Obj != "balance" || len(stale.Seqs) != 3 || !strings.Contains(stale.Text, "stale read") {
		t.Fatalf("seed %d: stale read = %+v, want one on balance with 3 events", seed, stale)
	}
	list := text(t, ctx, `[data-testid="race-list"]`)
	if !strings.Contains(list, stale.Text) {
		t.Errorf("race list = %q, want %q", list, stale.Text)
	}
	if r := shownRace(t, ctx); r.Kind != "stale read" || r.Label != "stale read on balance" || len(r.Events) != 3 {
		t.Errorf("race on show = %+v, want the stale read on balance", r)
	}
	// The button above the lanes names it and zooms onto it.
	if b := text(t, ctx, `[data-testid="race-finding"]`); !strings.Contains(b, "stale read on balance") {
		t.Errorf("race button = %q, want it to name the stale read on balance", b)
	}
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="race-finding"]`)))
	waitFor[bool](t, ctx, "the stale read in view", `window.interleave.timeline.race?.inView === true`)
	screenshot(t, ctx, "race-stale-read")

	// heisenbug passes by luck at seed 0: the panel says so, visibly.
	status = runPage(t, ctx, ts.URL+"/s/heisenbug?mode=sim&seed=0")
	luck := text(t, ctx, `[data-testid="luck"]`)
	if status == "ok" && !strings.Contains(luck, "correct by luck") {
		t.Errorf("heisenbug passed (ok) but the panel says %q, want it correct by luck", luck)
	}
	if status == "ok" && !evaluate[bool](t, ctx, `(() => { const e = document.querySelector('[data-testid="luck"]'); return !!e && e.offsetParent !== null && e.getBoundingClientRect().height > 0; })()`) {
		t.Errorf("the correct-by-luck sentence is not visible")
	}
	screenshot(t, ctx, "race-luck")

	// os-vs-green in green mode: the OS thread count, as its notes promise.
	runPage(t, ctx, ts.URL+"/s/os-vs-green?mode=green&procs=2")
	osText := text(t, ctx, `[data-testid="os-threads"]`)
	if !strings.Contains(osText, "OS threads") || !strings.Contains(osText, "M:N") {
		t.Errorf("os-vs-green in green mode says %q, want the OS thread count", osText)
	}
	screenshot(t, ctx, "race-verdicts")
}
