package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeTags are the rules the audit runs: WCAG 2.0 and 2.1, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeSource reads axe-core from web/axe/node_modules, where `npm ci
// --prefix web/axe` puts the pinned version. Without it the audit is
// skipped, except under CI, where that is a failure.
func axeSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join("..", "web", "axe", "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core missing (%v); CI must run npm ci --prefix web/axe", err)
		}
		t.Skipf("axe-core missing (%v); run npm ci --prefix web/axe to audit the pages", err)
	}
	return string(b)
}

// axeViolation is one failed rule, as axe-core reports it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// audit runs axe-core on the page as it is and reports every violation
// with its rule, the elements it found and what to fix.
func audit(t *testing.T, ctx context.Context, axe, state string) {
	t.Helper()
	if !evaluate[bool](t, ctx, `typeof window.axe === "object"`) {
		within(t, ctx, 10*time.Second, chromedp.Evaluate[any](axe+";0"))
	}
	tags := `["` + strings.Join(axeTags, `","`) + `"]`
	expr := `axe.run(document, {runOnly: {type: "tag", values: ` + tags + `}, resultTypes: ["violations"]}).then((r) => r.violations)`
	vs := within(t, ctx, 60*time.Second, chromedp.Evaluate[[]axeViolation](expr, chromedp.EvalAwaitPromise))
	for _, v := range vs {
		var b strings.Builder
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
		}
		t.Errorf("%s: axe %s (%s, %d nodes): %s%s", state, v.ID, v.Impact, len(v.Nodes), v.Help, b.String())
	}
}

// scheme emulates the system's colour scheme, which the page follows.
func scheme(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	within(t, ctx, 5*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}},
		})
		return err
	}))
}

// auditLooks audits the page as it is in both colour schemes, on a
// laptop and on a phone: four of the sixteen audited states.
func auditLooks(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	for _, s := range []string{"light", "dark"} {
		for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
			scheme(t, ctx, s)
			viewport(t, ctx, size[0], size[1])
			// The canvases and the legend repaint for the new scheme and size.
			within(t, ctx, 10*time.Second, chromedp.Evaluate[bool](`new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))))`, chromedp.EvalAwaitPromise))
			audit(t, ctx, axe, fmt.Sprintf("%s, %s, %dx%d", page, s, size[0], size[1]))
		}
	}
}

// The front page, lost-update before and after a run, and a deadlocked
// two-locks run, each in light and dark and at two sizes, pass axe-core's
// WCAG 2.1 A and AA rules.
func TestAccessibilityAudit(t *testing.T) {
	axe := axeSource(t)
	ts := startServer(t)
	ctx := newBrowser(t)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/"))
	auditLooks(t, ctx, axe, "front page")

	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update"))
	auditLooks(t, ctx, axe, "lost-update before Run")
	if s := pressRun(t, ctx); s != "ok" && s != "failed" {
		t.Fatalf("lost-update status = %q, want ok or failed", s)
	}
	auditLooks(t, ctx, axe, "lost-update after Run")

	if s := runPage(t, ctx, ts.URL+"/s/two-locks?mode=sim&seed=1"); s == "" {
		t.Fatal("two-locks gave no status")
	}
	auditLooks(t, ctx, axe, "two-locks sim seed 1 after Run")
	// Beyond the sixteen: the event log view, with a row selected.
	evaluate[bool](t, ctx, `(() => { window.interleave.showView("log"); window.interleave.timeline.select(5); return true })()`)
	auditLooks(t, ctx, axe, "two-locks event log")
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?embed=1&threads=2&iterations=20"))
	pressRun(t, ctx)
	auditLooks(t, ctx, axe, "embedded lost-update after Run")
	scheme(t, ctx, "light")
	screenshot(t, ctx, "a11y-two-locks")
}

// describeFocus names the focused element for the keyboard walk: its
// test id, its id, a log row, or its tag and name; "body" when the focus
// was dropped to the page.
const describeFocus = `(() => {
	const a = document.activeElement;
	if (!a || a === document.body) return "body";
	if (a.matches("tr[data-seq]")) return "log-row";
	if (a.dataset.testid) return a.dataset.testid;
	if (a.id) return a.id;
	if (a.name) return a.tagName.toLowerCase() + ":" + a.name;
	return a.tagName.toLowerCase() + (a.className ? "." + a.className : "");
})()`

func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return evaluate[string](t, ctx, describeFocus)
}

// A keyboard alone walks the page in order: the skip link, the mode, Run
// (which keeps the focus through the run), the script (left with Esc then
// Tab), the tabs, the timeline (whose arrows select events) and the log
// (one Tab stop, arrows inside), never dropping the focus to the body.
func TestKeyboardWalk(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=2&iterations=20&mode=sim&seed=1"))
	press := func(key string) string {
		t.Helper()
		within(t, ctx, 10*time.Second, chromedp.KeyEvent(key))
		return focused(t, ctx)
	}
	var walk []string
	at := map[string]int{}
	for f := press(kb.Tab); f != "timeline"; f = press(kb.Tab) {
		walk = append(walk, f)
		if _, ok := at[f]; !ok {
			at[f] = len(walk) - 1
		}
		if len(walk) > 60 {
			t.Fatalf("60 Tabs never reached the timeline: %q", walk)
		}
		switch f {
		case "body":
			t.Fatalf("Tab dropped the focus to the body after %q", walk)
		case "skip":
			if g := press(kb.Enter); g != "main" {
				t.Fatalf("the skip link took the focus to %q, want main", g)
			}
			if g := press(kb.Tab); g != "input:mode" {
				t.Errorf("Tab after the skip link: %q, want the mode", g)
			}
			walk = append(walk, "input:mode")
			at["input:mode"] = len(walk) - 1
		case "run":
			within(t, ctx, 5*time.Second, chromedp.KeyEvent(kb.Enter))
			waitFor[string](t, ctx, "the run's result", finalStatus)
			if g := focused(t, ctx); g != "run" {
				t.Errorf("after a run started with Enter: focus on %q, want Run", g)
			}
			// The one status line, outside every tab, says how it ended.
			said := evaluate[string](t, ctx, `(() => { const a = document.querySelector('[data-testid="announce"]');
				return a.closest("[hidden]") ? "hidden" : a.getAttribute("role") + ": " + a.textContent; })()`)
			summary := evaluate[string](t, ctx, `document.querySelector('[data-testid="summary"]').textContent`)
			if !strings.HasPrefix(said, "status: Finished, ") || !strings.HasSuffix(said, summary) {
				t.Errorf("status line = %q, want role status and Finished, the status and %q", said, summary)
			}
			words := evaluate[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="timeline-summary"] li')].map((li) => li.textContent)`)
			if len(words) != 3 || !strings.HasPrefix(words[0], "main: ") {
				t.Errorf("the threads in words = %q, want a sentence for main and each worker", words)
			}
		case "tab-result":
			// The arrows move along the tabs (wrapping), selecting as they go.
			if g := press(kb.ArrowRight); g != "tab-notes" {
				t.Errorf("→ on the Result tab: focus on %q, want the Notes tab", g)
			}
			if shown := evaluate[bool](t, ctx, `!document.querySelector("#panel-notes").hidden && document.querySelector("#tab-notes").getAttribute("aria-selected") === "true"`); !shown {
				t.Error("→ to the Notes tab did not select it")
			}
			if g := press(kb.End); g != "tab-result" {
				t.Errorf("End on the tabs: focus on %q, want the Result tab", g)
			}
		case "editor":
			if g := press(kb.Tab); g != "editor" {
				t.Errorf("Tab in the script moved the focus to %q, want it to indent", g)
			}
			press(kb.Escape)
		}
	}
	walk = append(walk, "timeline")
	// After the run the Result tab is the selected one, the tabs' Tab stop.
	order := []string{"skip", "input:mode", "run", "editor", "tab-result", "panel-result", "view-tab-timeline", "zoom-out"}
	last := -1
	for _, f := range order {
		i, ok := at[f]
		if !ok {
			t.Errorf("the walk never reached %q: %q", f, walk)
			continue
		}
		if i < last {
			t.Errorf("%q comes before the element before it in %q: %q", f, order, walk)
		}
		last = i
	}
	if n := strings.Count(strings.Join(walk, " "), "scenario-card"); n > 0 {
		t.Errorf("the walk went through %d catalogue cards: %q", n, walk)
	}

	// The timeline: the arrows select events, N a problem; L the log.
	press(kb.ArrowRight)
	first := evaluate[float64](t, ctx, `window.interleave.timeline.selected ?? -1`)
	press(kb.ArrowRight)
	second := evaluate[float64](t, ctx, `window.interleave.timeline.selected ?? -1`)
	if first < 0 || second <= first {
		t.Errorf("→ then → selected %v then %v, want two events in order", first, second)
	}
	if s := evaluate[string](t, ctx, `document.querySelector('[data-testid="selection"]').textContent`); !strings.HasPrefix(s, "Selected:") {
		t.Errorf("selection line = %q, want it to say what is selected", s)
	}
	press(kb.ArrowDown)
	if th := evaluate[float64](t, ctx, `window.interleave.model.events.find((e) => e.seq === window.interleave.timeline.selected).th`); th == 0 {
		t.Errorf("↓ from main stayed on thread %v, want the lane below", th)
	}
	if f := press("l"); f != "log-row" {
		t.Fatalf("l on the timeline: focus on %q, want a row of the log", f)
	}
	row := func() float64 { return evaluate[float64](t, ctx, `Number(document.activeElement.dataset.seq)`) }
	r0 := row()
	press(kb.ArrowDown)
	if r1 := row(); r1 <= r0 {
		t.Errorf("↓ in the log: row %v after %v, want a later one", r1, r0)
	}
	press(kb.End)
	end := row()
	if n := evaluate[float64](t, ctx, `window.interleave.model.events.at(-1).seq`); end != n {
		t.Errorf("End in the log: row %v, want the last event %v", end, n)
	}
	press(kb.Enter)
	// The redraw that follows a selection keeps the focus on the row.
	within(t, ctx, 10*time.Second, chromedp.Evaluate[bool](`new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))))`, chromedp.EvalAwaitPromise))
	if f := focused(t, ctx); f != "log-row" || row() != end {
		t.Errorf("after Enter on row %v: focus on %q, want that row", end, f)
	}
	if sel := evaluate[float64](t, ctx, `window.interleave.timeline.selected ?? -1`); sel != end {
		t.Errorf("Enter on row %v selected %v", end, sel)
	}
	// The rows are one Tab stop: Shift+Tab leaves them for the filters.
	within(t, ctx, 10*time.Second, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	if f := focused(t, ctx); f != "log-line" {
		t.Errorf("Shift+Tab from a log row went to %q, want the line filter (one Tab stop)", f)
	}
}
