package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestEditorOpensAtMain opens a scenario: its metadata (docstring, params,
// the Rust listing) is folded behind a bar, main is the first line shown,
// the script run and shared is still whole, and the Rust listing is in its
// tab with a Playground link that carries its code.
func TestEditorOpensAtMain(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	whole := evaluate[string](t, ctx, `JSON.parse(document.getElementById("page-data").textContent).source`)
	got := evaluate[map[string]any](t, ctx, `(() => {
		const t = document.querySelector('[data-testid="editor"]');
		const bar = document.querySelector('[data-testid="fold"]');
		const lh = parseFloat(getComputedStyle(t).lineHeight);
		const first = Math.round(t.scrollTop / lh);
		return {
			source: window.interleave.source,
			shown: t.value,
			top: t.value.split("\n")[first],
			bar: bar && bar.getClientRects().length > 0 ? bar.textContent : "",
			gutter: document.querySelector('.gutter span').textContent,
			rustInScript: t.value.includes("rust = "),
		};
	})()`)
	if got["source"] != whole {
		t.Errorf("the editor's source is not the whole script (%d characters, want %d)", len(got["source"].(string)), len(whole))
	}
	if top, _ := got["top"].(string); !strings.HasPrefix(top, "def main") {
		t.Errorf("the editor's first visible line = %q, want def main", top)
	}
	if bar, _ := got["bar"].(string); !strings.Contains(bar, "folded") {
		t.Errorf("fold bar = %q, want a visible bar saying the metadata is folded", bar)
	}
	if got["rustInScript"] != false {
		t.Error("the Rust listing is shown inside the script")
	}
	if g, _ := got["gutter"].(string); g == "1" {
		t.Errorf("the first line number = %s, want the script's line after the folded metadata", g)
	}

	// Unfolding shows every line; the source is the same.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="fold"]`)))
	if shown := evaluate[string](t, ctx, `document.querySelector('[data-testid="editor"]').value`); shown != whole {
		t.Errorf("after unfolding the editor shows %d characters, want the whole script's %d", len(shown), len(whole))
	}

	// The Rust tab and its Playground link.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-tab="rust"]`)))
	link := evaluate[map[string]string](t, ctx, `({
		href: document.querySelector('[data-testid="rust-playground"]').href,
		code: document.querySelector('[data-testid="rust"]').textContent,
		text: document.querySelector('[data-testid="rust-playground"]').textContent,
	})`)
	u, err := url.Parse(link["href"])
	if err != nil || u.Host != "play.rust-lang.org" || u.Query().Get("code") != link["code"] || u.Query().Get("edition") != "2021" {
		t.Errorf("Playground link = %q, want the Playground with the listing's code", link["href"])
	}
	if !strings.Contains(link["text"], "Open in the Rust Playground") {
		t.Errorf("Playground link text = %q", link["text"])
	}
}

// TestDraftKept edits a scenario and reloads: the draft comes back marked
// "edited"; Reset restores the original, "Restore draft" the draft.
func TestDraftKept(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	page := ts.URL + "/s/counter-mutex"
	within(t, ctx, 30*time.Second, chromedp.Navigate(page))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	original := evaluate[string](t, ctx, editorText)
	if shown := evaluate[bool](t, ctx, `document.querySelector('[data-testid="edited"]')?.getClientRects().length > 0`); shown {
		t.Error("an unedited scenario is marked edited")
	}
	edited := evaluate[string](t, ctx, `(() => {
		const t = document.querySelector('[data-testid="editor"]');
		t.value = t.value.replace("def main", "# a draft\ndef main");
		t.dispatchEvent(new Event("input", {bubbles: true}));
		return window.interleave.source;
	})()`)
	waitFor[bool](t, ctx, "the draft kept", fmt.Sprintf(`localStorage.getItem("interleave:draft:counter-mutex") === %q`, edited))

	within(t, ctx, 30*time.Second, chromedp.Reload())
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	if got := evaluate[string](t, ctx, editorText); got != edited {
		t.Errorf("after a reload the editor holds %d characters, want the draft's %d", len(got), len(edited))
	}
	if !evaluate[bool](t, ctx, `document.querySelector('[data-testid="edited"]').getClientRects().length > 0`) {
		t.Error("a restored draft is not marked edited")
	}
	screenshot(t, ctx, "draft-1280")

	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="reset"]`)))
	if got := evaluate[string](t, ctx, editorText); got != original {
		t.Error("Reset did not restore the original script")
	}
	if label := evaluate[string](t, ctx, `document.querySelector('[data-testid="reset"]').textContent`); label != "Restore draft" {
		t.Errorf("after Reset the button says %q, want Restore draft", label)
	}
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="reset"]`)))
	if got := evaluate[string](t, ctx, editorText); got != edited {
		t.Error("Restore draft did not bring the draft back")
	}
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="reset"]`)))
	waitFor[bool](t, ctx, "the draft forgotten", `localStorage.getItem("interleave:draft:counter-mutex") === null`)
	within(t, ctx, 30*time.Second, chromedp.Reload())
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	if got := evaluate[string](t, ctx, editorText); got != original {
		t.Error("after Reset and a reload the editor does not hold the original script")
	}
}

// TestReplayPace shares a short sim run, whose virtual time is a few
// microseconds, and plays it back at the normal pace: the playback takes
// at least a second, and every event is handed over, a few at a time.
func TestReplayPace(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	if status := runPage(t, ctx, ts.URL+"/s/two-locks?mode=sim&seed=3"); status == "" {
		t.Fatal("no status")
	}
	first := evaluate[drawn](t, ctx, drawnJS)
	link := shareLink(t, ctx, "share-run")
	within(t, ctx, 30*time.Second, chromedp.Navigate(link))
	waitFor[string](t, ctx, "the recorded run drawn", finalStatus)
	evaluate[bool](t, ctx, `(() => {
		window.steps = [];
		const tl = window.interleave.timeline;
		const pr = document.querySelector('[data-testid="replay-progress"]');
		new MutationObserver(() => window.steps.push([performance.now(), tl.events])).observe(pr, {childList: true, characterData: true, subtree: true});
		document.querySelector('[data-testid="replay-speed"]').value = "1";
		window.playAt = performance.now();
		return true;
	})()`)
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="replay"]`)))
	waitFor[bool](t, ctx, "the playback to end", fmt.Sprintf(`document.querySelector('[data-testid="status"]').textContent === %q && window.steps.length > 0`, first.Status))
	steps := evaluate[[][]float64](t, ctx, `window.steps`)
	start := evaluate[float64](t, ctx, `window.playAt`)
	last := steps[len(steps)-1]
	if ms := last[0] - start; ms < 1000 {
		t.Errorf("the playback of %d events took %.0f ms, want at least a second", first.Events, ms)
	}
	if int(last[1]) != first.Events {
		t.Errorf("the playback drew %v events, want all %d", last[1], first.Events)
	}
	// Events come a few at a time: many steps, none with most of the run.
	if len(steps) < first.Events/4 {
		t.Errorf("the playback went in %d steps for %d events, want one step per few events", len(steps), first.Events)
	}
	if again := evaluate[drawn](t, ctx, drawnJS); again != first {
		t.Errorf("after the playback the page drew %+v, want %+v", again, first)
	}
}

// TestPanicMarksItsLine runs a script whose thread panics: main fails in
// its join, but the editor marks the thread's failing line.
func TestPanicMarksItsLine(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	src := "def worker():\n    x = 1\n    fail(\"boom\")\n\ndef main():\n    t = spawn(worker)\n    t.join()\n"
	body, _ := json.Marshal(map[string]string{"source": src})
	code, m, raw := post(t, ts.URL+"/api/snippets", string(body))
	if code != 200 {
		t.Fatalf("POST /api/snippets = %d %s", code, raw)
	}
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	if status := runPage(t, ctx, ts.URL+m["url"].(string)+"?mode=sim"); status != "panic" {
		t.Fatalf("status = %q, want panic", status)
	}
	got := evaluate[[]string](t, ctx, `(() => {
		const err = document.querySelector('.gutter .err');
		return err ? [err.textContent, err.title] : [];
	})()`)
	if len(got) != 2 || got[0] != "3" || !strings.Contains(got[1], "boom") {
		t.Errorf("the editor marks line %q as the error, want line 3 (fail) with its message", got)
	}
}

// box is an element's place on the page (not in the viewport, which a
// run may scroll), in CSS pixels.
type box struct{ X, Y, W, H float64 }

const runBox = `(() => {
	const r = document.querySelector('[data-testid="run"]').getBoundingClientRect();
	return {x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height};
})()`

// TestRunKeepsNotesAndControls runs a scenario on a desktop and on a
// phone: Run stays where it was, the notes (with "Ask the class") stay in
// view beside the result, and on a phone the timeline is on screen after
// the run and the shortcut list is hidden.
func TestRunKeepsNotesAndControls(t *testing.T) {
	ts := startServer(t)
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) {
			ctx := newBrowser(t)
			viewport(t, ctx, size[0], size[1])
			within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/two-locks?mode=sim&seed=3"))
			within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
			before := evaluate[box](t, ctx, runBox)
			if status := pressRun(t, ctx); status == "" {
				t.Fatal("no status")
			}
			after := evaluate[box](t, ctx, runBox)
			if after != before {
				t.Errorf("Run moved from %+v to %+v", before, after)
			}
			shown := evaluate[map[string]bool](t, ctx, `(() => {
				const seen = (el) => !!el && el.getClientRects().length > 0 && !el.closest("[hidden]");
				const notes = document.querySelector('[data-testid="notes"]');
				const tl = document.querySelector('[data-testid="timeline"]').getBoundingClientRect();
				return {
					notes: seen(notes),
					ask: seen(notes) && notes.textContent.includes("Ask the class"),
					result: seen(document.querySelector('[data-testid="summary"]')),
					timeline: tl.top < innerHeight && tl.bottom > 0,
					keys: seen(document.querySelector('[data-testid="shortcuts"]')),
				};
			})()`)
			if !shown["notes"] || !shown["ask"] || !shown["result"] {
				t.Errorf("after Run: notes %v, Ask the class %v, result %v; want all shown", shown["notes"], shown["ask"], shown["result"])
			}
			if size[0] < 600 {
				if !shown["timeline"] {
					t.Error("after Run on a phone the timeline is not on screen")
				}
				if shown["keys"] {
					t.Error("the keyboard shortcuts are listed on a phone")
				}
			}
			screenshot(t, ctx, fmt.Sprintf("run-kept-%d", size[0]))
		})
	}
}
