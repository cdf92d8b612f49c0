package server_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// histBar is one bar of the outcome histogram as the page shows it.
type histBar struct {
	Label    string
	Status   string
	Schedule string
}

const histBars = `[...document.querySelectorAll('[data-testid="histogram"] .bar')].map((b) => ({label: b.textContent, status: b.dataset.status, schedule: b.dataset.schedule}))`

// explorePage opens a scenario page, sets the preemption bound and
// presses the button (explore or find-failure); it returns the verdict.
func explorePage(t *testing.T, ctx context.Context, url, bound, button string) string {
	t.Helper()
	within(t, ctx, 30*time.Second, chromedp.Navigate(url))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="explore"]`)))
	evaluate[bool](t, ctx, `(() => { const b = document.querySelector('[data-testid="explore-preemptions"]'); b.value = "`+bound+`"; return true })()`)
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="`+button+`"]`)))
	return waitFor[string](t, ctx, "the exploration's verdict",
		`(() => { const v = document.querySelector('[data-testid="explore-verdict"]'); return v.hidden ? null : v.textContent; })()`)
}

// counterValue reads "counter = N" off a bar's label.
func counterValue(t *testing.T, label string) int {
	t.Helper()
	m := regexp.MustCompile(`counter = (\d+)`).FindStringSubmatch(label)
	if m == nil {
		t.Fatalf("bar %q names no counter value", label)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Explore on lost-update 2x2 draws a bar per final value, 2, 3 and 4,
// says the search was complete, and a click on a failing bar replays its
// schedule, which the link then carries, and fails as the bar said.
func TestBrowserExploreLostUpdate(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	verdict := explorePage(t, ctx, ts.URL+"/s/lost-update?threads=2&iterations=2&mode=sim", "20", "explore")
	if !strings.HasPrefix(verdict, "Complete: every execution was covered") {
		t.Errorf("verdict = %q, want complete", verdict)
	}
	bars := evaluate[[]histBar](t, ctx, histBars)
	var values []int
	for _, b := range bars {
		values = append(values, counterValue(t, b.Label))
		if !regexp.MustCompile(`^counter = \d+ · (ok|check failed) · \d+%$`).MatchString(b.Label) {
			t.Errorf("bar label %q, want \"counter = N · status · P%%\"", b.Label)
		}
	}
	slices.Sort(values)
	if !slices.Equal(values, []int{2, 3, 4}) {
		t.Fatalf("bars for counter values %v, want [2 3 4]", values)
	}
	if s := text(t, ctx, `[data-testid="status"]`); s != "explored" {
		t.Errorf("status after exploring = %q, want explored", s)
	}
	said := text(t, ctx, `[data-testid="announce"]`)
	if !strings.Contains(said, "Complete") {
		t.Errorf("status line = %q, want the verdict", said)
	}

	i := slices.IndexFunc(bars, func(b histBar) bool { return counterValue(t, b.Label) == 3 })
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="histogram"] li:nth-child(`+strconv.Itoa(i+1)+`) .bar`)))
	if s := waitFor[string](t, ctx, "the replay's result", finalStatus); s != "failed" {
		t.Errorf("replay of the counter = 3 bar: status %q, want failed", s)
	}
	if sum := text(t, ctx, `[data-testid="summary"]`); !strings.Contains(sum, "1 of 4 increments were lost") {
		t.Errorf("replay summary = %q, want one increment lost", sum)
	}
	url := evaluate[string](t, ctx, `location.search`)
	if !strings.Contains(url, "schedule="+bars[i].Schedule) || !strings.Contains(url, "mode=sim") {
		t.Errorf("link after the replay = %q, want mode=sim and schedule=%s", url, bars[i].Schedule)
	}
	if n := evaluate[int](t, ctx, `window.interleave.model.events.length`); n == 0 {
		t.Error("the replay drew no events on the timeline")
	}
	if n := len(evaluate[[]histBar](t, ctx, histBars)); n != 3 {
		t.Errorf("after the replay the histogram has %d bars, want it kept with 3", n)
	}
	screenshot(t, ctx, "explore-lost-update")
}

// Find a failure stops at the first failing execution and replays it in
// sim mode, switching the page (opened in os mode) to sim.
func TestBrowserFindFailure(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	verdict := explorePage(t, ctx, ts.URL+"/s/check-then-act", "2", "find-failure")
	if !strings.HasPrefix(verdict, "Found a failure") {
		t.Errorf("verdict = %q, want a failure found", verdict)
	}
	if s := waitFor[string](t, ctx, "the failure's replay", finalStatus); s == "ok" {
		t.Errorf("replay of the failure found: status %q, want a failure", s)
	}
	bars := evaluate[[]histBar](t, ctx, histBars)
	if !slices.ContainsFunc(bars, func(b histBar) bool { return b.Status != "ok" }) {
		t.Errorf("bars %+v, want a failing one", bars)
	}
	if shown := evaluate[bool](t, ctx, `!document.querySelector('[data-testid="seed"]').closest("label").hidden`); !shown {
		t.Error("after the replay the sim seed is hidden, want the page in sim mode with its settings")
	}
	if url := evaluate[string](t, ctx, `location.search`); !strings.Contains(url, "mode=sim") || !strings.Contains(url, "schedule=") {
		t.Errorf("link after the replay = %q, want mode=sim and the schedule", url)
	}
}

// Stop ends a long exploration with what it found; a run started while
// another exploration goes on replaces it and ends as a run.
func TestBrowserExploreStop(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=3&iterations=10&mode=sim&seed=1"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="explore"]`)))
	evaluate[bool](t, ctx, `(() => { document.querySelector('[data-testid="explore-preemptions"]').value = "20";
		document.querySelector('[data-testid="explore-budget"]').value = "1000000"; return true })()`)
	const progressed = `document.querySelector('[data-testid="explore-progress"]').textContent.startsWith("Exploring…")`
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="explore"]`)))
	waitFor[bool](t, ctx, "progress", progressed)
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="stop"]`)))
	verdict := waitFor[string](t, ctx, "the stopped exploration's verdict",
		`(() => { const v = document.querySelector('[data-testid="explore-verdict"]'); return v.hidden ? null : v.textContent; })()`)
	if !strings.HasPrefix(verdict, "Stopped after") || len(evaluate[[]histBar](t, ctx, histBars)) == 0 {
		t.Errorf("after Stop: verdict %q, want stopped, with the bars found so far", verdict)
	}

	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="explore"]`)))
	waitFor[bool](t, ctx, "progress", progressed)
	evaluate[bool](t, ctx, `(window.interleave.run(), true)`)
	if s := waitFor[string](t, ctx, "the run's result", finalStatus); s != "ok" && s != "failed" {
		t.Errorf("run started during an exploration: status %q, want ok or failed", s)
	}
	if n := evaluate[int](t, ctx, `window.interleave.model.events.length`); n == 0 {
		t.Error("the run that replaced the exploration drew no events")
	}
	if off := evaluate[bool](t, ctx, `document.querySelector('[data-testid="explore"]').disabled`); off {
		t.Error("after the run the Explore button is still disabled")
	}
}

// In os mode the strategies offer repeat: real runs of the script in one
// child, drawn as the same histogram, each bar counting its real runs
// (not a schedule to replay). In sim mode repeat is not offered.
func TestBrowserExploreRepeat(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=2&iterations=200&mode=sim"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="explore"]`)))
	const offered = `!document.querySelector('[data-testid="explore-repeat"]').hidden`
	if evaluate[bool](t, ctx, offered) {
		t.Error("repeat is offered in sim mode, want it hidden")
	}
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`input[name="mode"][value="os"]`)))
	if !evaluate[bool](t, ctx, offered) {
		t.Fatal("repeat is not offered in os mode")
	}
	evaluate[bool](t, ctx, `(() => { const s = document.querySelector('[data-testid="explore-strategy"]'); s.value = "repeat";
		s.dispatchEvent(new Event("change", {bubbles: true}));
		document.querySelector('[data-testid="explore-budget"]').value = "40"; return true })()`)
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="explore"]`)))
	verdict := waitFor[string](t, ctx, "the exploration's verdict",
		`(() => { const v = document.querySelector('[data-testid="explore-verdict"]'); return v.hidden ? null : v.textContent; })()`)
	if !strings.HasPrefix(verdict, "40 real runs in os mode") {
		t.Errorf("verdict = %q, want 40 real runs in os mode", verdict)
	}
	type realBar struct {
		Label    string
		Count    int
		Disabled bool
	}
	bars := evaluate[[]realBar](t, ctx, `[...document.querySelectorAll('[data-testid="histogram"] .bar')].map((b) =>
		({label: b.textContent, count: Number(b.dataset.count), disabled: b.disabled}))`)
	total := 0
	for _, b := range bars {
		total += b.Count
		if !regexp.MustCompile(`^counter = \d+ · (ok|check failed) · \d+% \(\d+ runs?\)$`).MatchString(b.Label) || !b.Disabled {
			t.Errorf("bar %+v, want \"counter = N · status · P%% (K runs)\", not a replay button", b)
		}
	}
	if len(bars) == 0 || total != 40 {
		t.Errorf("bars %+v count %d real runs, want bars counting 40", bars, total)
	}
	screenshot(t, ctx, "explore-repeat-os")
}
