package server_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// The drawn run, as the page's hooks show it.
type drawn struct {
	Events int
	Lanes  int
	Hash   string
	Shape  string
	Status string
}

const drawnJS = `({
	events: window.interleave.timeline.events,
	lanes: window.interleave.timeline.lanes.length,
	hash: window.interleave.timeline.hash(),
	shape: window.interleave.timeline.shapeHash(),
	status: document.querySelector('[data-testid="status"]').textContent,
})`

// editorText is the script in the page's editor, its folded lines too.
const editorText = `window.interleave.source`

// shareLink clicks a share button and waits for the link it made.
func shareLink(t *testing.T, ctx context.Context, button string) string {
	t.Helper()
	// A button stays disabled while its previous link is being copied.
	within(t, ctx, 10*time.Second, chromedp.WaitEnabled(chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, button))))
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, button))))
	return waitFor[string](t, ctx, "the link of "+button, fmt.Sprintf(`(() => {
		const b = document.querySelector('[data-testid=%q]');
		const box = b.closest(".scenario").querySelector('.share-out.error:not([hidden]) .share-msg');
		if (box) throw new Error(box.textContent);
		return b.dataset.link || null;
	})()`, button))
}

// TestShareEditedScript edits a scenario's script after a sim run, shares
// it and opens the link in another browser: the same script, params and
// seed come back, and running it draws the same events. With "exact
// interleaving" the link carries the run's schedule, which then decides
// the run whatever the seed.
func TestShareEditedScript(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	runRacy(t, ctx, ts.URL+"/s/lost-update?threads=3&iterations=40&mode=sim&seed=5")
	first := evaluate[drawn](t, ctx, drawnJS)
	if first.Events == 0 || first.Lanes != 4 {
		t.Fatalf("first run drew %+v, want events on 4 lanes", first)
	}
	// The page's URL keeps its settings.
	if q := evaluate[string](t, ctx, `location.search`); !strings.Contains(q, "seed=5") || !strings.Contains(q, "threads=3") || !strings.Contains(q, "mode=sim") {
		t.Errorf("page URL query = %q, want threads, mode and seed", q)
	}

	// A trivial edit: a comment after the last line, so no event's line
	// changes.
	edited := evaluate[string](t, ctx, `(() => {
		const t = document.querySelector('[data-testid="editor"]');
		t.value += "\n# shared from a test\n";
		t.dispatchEvent(new Event("input", {bubbles: true}));
		return window.interleave.source;
	})()`)
	// The run's schedule goes into the link when asked for.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="exact"]`)))
	schedule := waitFor[string](t, ctx, "the schedule in the URL", `new URLSearchParams(location.search).get("schedule")`)

	link := shareLink(t, ctx, "share")
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/p/") || len(u.Path) != len("/p/")+11 {
		t.Fatalf("share link = %q, want /p/ and an 11-character id", link)
	}
	q := u.Query()
	if q.Get("threads") != "3" || q.Get("iterations") != "40" || q.Get("mode") != "sim" || q.Get("seed") != "5" || q.Get("schedule") != schedule || q.Get("from") != "lost-update" {
		t.Errorf("share link query = %v, want threads 3, iterations 40, mode sim, seed 5, the schedule and from lost-update", q)
	}
	shown := evaluate[[]string](t, ctx, `[document.querySelector('[data-testid="share-link"]').value, document.querySelector('[data-testid="share-out"]').hidden ? "hidden" : document.querySelector('[data-testid="share-out"] .share-msg').textContent]`)
	if shown[0] != link || !(strings.Contains(shown[1], "copied") || strings.Contains(shown[1], "Copy this link")) {
		t.Errorf("share box shows %q, %q; want the link and that it was copied (or to copy it)", shown[0], shown[1])
	}
	screenshot(t, ctx, "share-link-1280")
	if code, text := get(t, ts.URL+u.Path+".star"); code != 200 || text != edited {
		t.Errorf("GET %s.star = %d, want the edited script", u.Path, code)
	}

	// A fresh browser, with nothing of the first one's state.
	ctx2 := newBrowser(t)
	viewport(t, ctx2, 1280, 720)
	within(t, ctx2, 30*time.Second, chromedp.Navigate(link))
	within(t, ctx2, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	if got := evaluate[string](t, ctx2, editorText); got != edited {
		t.Errorf("the shared page's editor holds %q, want the edited script", got)
	}
	if topic := evaluate[string](t, ctx2, `document.querySelector(".bar .topic").textContent`); !strings.HasPrefix(topic, "Edited from “") {
		t.Errorf("the shared page's topic = %q, want it to say what the script was edited from", topic)
	}
	settings := evaluate[map[string]any](t, ctx2, `({
		threads: document.querySelector('[data-param="threads"]').value,
		iterations: document.querySelector('[data-param="iterations"]').value,
		mode: document.querySelector('input[name="mode"]:checked').value,
		seed: document.querySelector('[data-testid="seed"]').value,
		exact: document.querySelector('[data-testid="exact"]').checked,
	})`)
	want := map[string]any{"threads": "3", "iterations": "40", "mode": "sim", "seed": "5", "exact": true}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("shared page %s = %v, want %v", k, settings[k], v)
		}
	}
	if status := pressRun(t, ctx2); status != first.Status {
		t.Errorf("shared page's run: status %q, want %q", status, first.Status)
	}
	if second := evaluate[drawn](t, ctx2, drawnJS); second != first {
		t.Errorf("shared page drew %+v, want the first run's %+v", second, first)
	}

	// The schedule decides, not the seed: the same link with another seed
	// draws the same run.
	q.Set("seed", "6")
	u.RawQuery = q.Encode()
	within(t, ctx2, 30*time.Second, chromedp.Navigate(u.String()))
	within(t, ctx2, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	if status := pressRun(t, ctx2); status != first.Status {
		t.Errorf("run with the schedule and seed 6: status %q, want %q", status, first.Status)
	}
	if third := evaluate[drawn](t, ctx2, drawnJS); third.Hash != first.Hash {
		t.Errorf("run with the schedule and seed 6 drew %+v, want the first run's %+v", third, first)
	}
}

// TestShareRecordedRun shares an os-mode run, which can never be run
// again the same way, and opens it in another browser: the page draws the
// recorded run without running anything, and Play plays it back to the
// same events.
func TestShareRecordedRun(t *testing.T) {
	ts := sharingServer(t, filepath.Join(t.TempDir(), "share.db"))
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	runRacy(t, ctx, ts.URL+"/s/lost-update?threads=2&iterations=60")
	first := evaluate[drawn](t, ctx, drawnJS)
	link := shareLink(t, ctx, "share-run")
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, "/r/") {
		t.Fatalf("share-run link = %q, want /r/ID", link)
	}
	if got := evaluate[string](t, ctx, `document.querySelector('[data-testid="share-run-link"]').value`); got != link {
		t.Errorf("share-run field = %q, want %q", got, link)
	}
	screenshot(t, ctx, "share-run-1280")

	ctx2 := newBrowser(t)
	viewport(t, ctx2, 1280, 720)
	within(t, ctx2, 30*time.Second, chromedp.Navigate(link))
	got := waitFor[string](t, ctx2, "the recorded run drawn", finalStatus)
	if got != first.Status {
		t.Errorf("replay page status = %q, want the recorded %q", got, first.Status)
	}
	replayed := evaluate[drawn](t, ctx2, drawnJS)
	if replayed != first {
		t.Errorf("replay page drew %+v, want the recorded run's %+v", replayed, first)
	}
	if n := evaluate[int](t, ctx2, `window.interleave.runs`); n != 0 {
		t.Errorf("the replay page asked for %d runs, want none", n)
	}
	if summary := within(t, ctx2, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="summary"]`))); !strings.HasPrefix(summary, "Recorded run") {
		t.Errorf("replay summary = %q, want it to say it is a recorded run", summary)
	}
	screenshot(t, ctx2, "replay-1280")

	// Play: the events come back one after another (at 16 times the
	// normal pace here), through the page's live path, to the same drawing.
	evaluate[bool](t, ctx2, `(() => {
		window.seen = [];
		const s = document.querySelector('[data-testid="status"]');
		new MutationObserver(() => window.seen.push([s.textContent, window.interleave.timeline.events])).observe(s, {childList: true, characterData: true, subtree: true});
		const sel = document.querySelector('[data-testid="replay-speed"]');
		sel.value = "16";
		return true;
	})()`)
	within(t, ctx2, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="replay"]`)))
	waitFor[bool](t, ctx2, "the playback to end", fmt.Sprintf(`window.seen.length >= 2 && document.querySelector('[data-testid="status"]').textContent === %q`, first.Status))
	if again := evaluate[drawn](t, ctx2, drawnJS); again != first {
		t.Errorf("after Play the page drew %+v, want %+v", again, first)
	}
	steps := evaluate[[][]any](t, ctx2, `window.seen`)
	if len(steps) < 2 || steps[0][0] != "replaying" {
		t.Errorf("status during Play went %v, want replaying then %s", steps, first.Status)
	}
	if n := evaluate[int](t, ctx2, `window.interleave.runs`); n != 0 {
		t.Errorf("Play asked for %d runs, want none", n)
	}

	// Sharing the recorded run again gives its link, without storing it
	// again; on a phone the controls fit.
	viewport(t, ctx2, 390, 844)
	if again := shareLink(t, ctx2, "share-run"); again != link {
		t.Errorf("share-run on the replay page = %q, want its own link %q", again, link)
	}
	waitFor[bool](t, ctx2, "the page to fit a phone", `document.documentElement.scrollWidth <= 391`)
	screenshot(t, ctx2, "replay-390")

	// Run still runs the recorded script, live.
	if status := pressRun(t, ctx2); status != "ok" && status != "failed" {
		t.Errorf("a live run on the replay page: status %q, want ok or failed", status)
	}
	if n := evaluate[int](t, ctx2, `window.interleave.runs`); n != 1 {
		t.Errorf("after Run the replay page asked for %d runs, want 1", n)
	}
}

// TestEmbed opens a scenario with ?embed=1, as an iframe would: no
// catalogue, no editor, no form; a link back to the full page; Run works.
func TestEmbed(t *testing.T) {
	ts := startServer(t)
	resp, err := http.Get(ts.URL + "/s/two-locks?mode=sim&seed=3&embed=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Cross-Origin-Opener-Policy"); h != "" {
		t.Errorf("Cross-Origin-Opener-Policy = %q; it must not be sent (Perfetto's hand-over needs window.opener)", h)
	}
	if h := resp.Header.Get("X-Frame-Options"); h != "" {
		t.Errorf("X-Frame-Options = %q; the embedded view must load in an iframe", h)
	}

	ctx := newBrowser(t)
	viewport(t, ctx, 800, 480)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/two-locks?mode=sim&seed=3&embed=1"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	page := evaluate[map[string]any](t, ctx, `(() => {
		const shown = (sel) => { const el = document.querySelector(sel); return !!el && el.getClientRects().length > 0; };
		return {
			catalogue: !!document.querySelector('[data-testid="catalogue"]'),
			editor: shown('[data-testid="editor"]'),
			params: shown('[data-testid="params"]'),
			mode: shown('[data-testid="mode"]'),
			share: shown('[data-testid="share"]'),
			title: shown('h1'),
			run: shown('[data-testid="run"]'),
			stop: shown('[data-testid="stop"]'),
			timeline: shown('[data-testid="timeline"]'),
			result: shown('[data-testid="result"]'),
			full: document.querySelector('[data-testid="full-page"]')?.href ?? "",
		};
	})()`)
	for k, want := range map[string]bool{"catalogue": false, "editor": false, "params": false, "mode": false, "share": false, "title": true, "run": true, "stop": true, "timeline": true, "result": true} {
		if page[k] != want {
			t.Errorf("embedded page: %s shown = %v, want %v", k, page[k], want)
		}
	}
	full, _ := url.Parse(fmt.Sprint(page["full"]))
	if full == nil || full.Path != "/s/two-locks" || full.Query().Get("embed") != "" || full.Query().Get("seed") != "3" || full.Query().Get("mode") != "sim" {
		t.Errorf("link back to the full page = %v, want /s/two-locks with mode sim, seed 3 and no embed", page["full"])
	}
	status := pressRun(t, ctx)
	if status != "deadlock" {
		t.Errorf("embedded run status = %q, want deadlock (two-locks, seed 3)", status)
	}
	if n := evaluate[int](t, ctx, `window.interleave.timeline.lanes.length`); n != 3 {
		t.Errorf("embedded run drew %d lanes, want 3", n)
	}
	screenshot(t, ctx, "embed-800")
	viewport(t, ctx, 390, 600)
	// The canvas follows the new width at its next frame.
	tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = chromedp.Run(tctx, chromedp.Poll[float64](`document.documentElement.scrollWidth <= 391 ? document.documentElement.scrollWidth : null`))
	cancel()
	if err != nil {
		w := evaluate[float64](t, ctx, `document.documentElement.scrollWidth`)
		t.Errorf("embedded page is %.0f px wide in a 390 px frame", w)
	}
	screenshot(t, ctx, "embed-390")
}

// traceFile is the part of Chrome Trace Event JSON the test reads.
type traceFile struct {
	TraceEvents []struct {
		Name string         `json:"name"`
		Ph   string         `json:"ph"`
		Tid  int            `json:"tid"`
		Args map[string]any `json:"args"`
	} `json:"traceEvents"`
}

// TestExport downloads a run's trace through the Download button (the
// file Chromium saves is read back), and checks the SVG and PNG exports.
func TestExport(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	if status := runPage(t, ctx, ts.URL+"/s/two-locks?mode=sim&seed=3"); status != "deadlock" {
		t.Fatalf("status = %q, want deadlock", status)
	}
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="export"] summary`)))
	screenshot(t, ctx, "export-menu-1280")
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="download-trace"]`)))
	name := waitFor[string](t, ctx, "the trace download", `document.querySelector('[data-testid="download-trace"]').dataset.file || null`)
	path := filepath.Join(dir, name)
	var body []byte
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 0 && json.Valid(b) {
			body = b
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no complete %s in the download folder (%v, %v)", name, entries, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if name != "two-locks.trace.json" {
		t.Errorf("downloaded file name = %q, want two-locks.trace.json", name)
	}
	var tf traceFile
	if err := json.Unmarshal(body, &tf); err != nil {
		t.Fatalf("downloaded trace is not JSON: %v", err)
	}
	threads := map[string]bool{}
	phases := map[string]int{}
	for _, e := range tf.TraceEvents {
		phases[e.Ph]++
		if e.Ph == "M" && e.Name == "thread_name" {
			threads[fmt.Sprint(e.Args["name"])] = true
		}
	}
	for _, th := range []string{"main", "alpha", "beta"} {
		if !threads[th] {
			t.Errorf("trace names threads %v, want %s among them", threads, th)
		}
	}
	if phases["X"]+phases["B"] == 0 || phases["i"]+phases["I"]+phases["s"] == 0 {
		t.Errorf("trace phases = %v, want slices and instants or flows", phases)
	}
	if got := evaluate[string](t, ctx, `document.querySelector('[data-testid="download-trace"]').dataset.bytes`); got != fmt.Sprint(len(body)) {
		t.Errorf("the page saved %s bytes, the file has %d", got, len(body))
	}

	// Open in Perfetto, with the Perfetto window played by a frame of
	// this page: it is pinged until it answers PONG, then handed the
	// trace as an ArrayBuffer, for its origin only.
	type handover struct {
		Opened, Origin, Title, FileName string
		Pings, Bytes                    int
		IsBuffer                        bool
	}
	h := within(t, ctx, 15*time.Second, chromedp.Evaluate[handover](`new Promise((resolve) => {
		const f = document.createElement("iframe");
		document.body.append(f);
		const w = f.contentWindow;
		let pings = 0;
		w.postMessage = (m, origin) => {
			if (m === "PING") pings++;
			if (m && m.perfetto) setTimeout(() => f.remove());
			if (m && m.perfetto) resolve({opened, origin, pings, title: m.perfetto.title, fileName: m.perfetto.fileName,
				bytes: m.perfetto.buffer.byteLength, isBuffer: m.perfetto.buffer instanceof ArrayBuffer});
		};
		let opened = "";
		window.open = (u) => { opened = u; return w; };
		document.querySelector('[data-testid="export"]').open = true;
		document.querySelector('[data-testid="open-perfetto"]').click();
		setTimeout(() => window.dispatchEvent(new MessageEvent("message", {data: "PONG", origin: "https://ui.perfetto.dev", source: w})), 300);
	})`, chromedp.EvalAwaitPromise))
	if h.Opened != "https://ui.perfetto.dev" || h.Origin != "https://ui.perfetto.dev" || h.Pings == 0 || !h.IsBuffer || h.Bytes != len(body) ||
		!strings.Contains(h.Title, "two locks") || h.FileName != "two-locks.trace.json" {
		t.Errorf("Perfetto hand-over = %+v, want ui.perfetto.dev opened, pinged, then the %d-byte trace as an ArrayBuffer", h, len(body))
	}

	// SVG: a well-formed document with every lane's name and the cycle.
	svg := evaluate[string](t, ctx, `window.interleave.svg()`)
	dec := xml.NewDecoder(strings.NewReader(svg))
	texts := ""
	elems := map[string]int{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG export is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elems[tok.Name.Local]++
		case xml.CharData:
			texts += string(tok) + "|"
		}
	}
	for _, w := range []string{"main", "alpha", "beta", "alpha waits for", "⟳ deadlocked"} {
		if !strings.Contains(texts, w) {
			t.Errorf("SVG text lacks %q: %s", w, texts)
		}
	}
	if elems["svg"] != 1 || elems["path"] < 5 || elems["rect"] < 5 {
		t.Errorf("SVG elements = %v, want one svg with paths and rects", elems)
	}
	if dir := os.Getenv("ARTIFACTS"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "export-two-locks.svg"), []byte(svg), 0o644)
	}

	// PNG: the timeline's canvases with the lane names, at the device
	// pixel ratio.
	size := within(t, ctx, 10*time.Second, chromedp.Evaluate[[]float64](`window.interleave.timeline.png().then(async (b) => {
		const img = await createImageBitmap(b);
		return [b.size, img.width, window.interleave.timeline.view.width * devicePixelRatio];
	})`, chromedp.EvalAwaitPromise))
	if size[0] < 1000 || size[1] < size[2] {
		t.Errorf("PNG export: %v bytes, %v px wide; want an image at least as wide as the lanes (%v px)", size[0], size[1], size[2])
	}

	// This server has no database. A catalogue scenario as shipped is
	// still shared, by its own page's link; an edited script cannot be,
	// and the page says why in a sentence.
	link := shareLink(t, ctx, "share")
	if want := ts.URL + "/s/two-locks?rounds=3&mode=sim&seed=3"; link != want {
		t.Errorf("share link of an unedited scenario = %q, want %q", link, want)
	}
	evaluate[bool](t, ctx, `(() => {
		const t = document.querySelector('[data-testid="editor"]');
		t.value += "\n# edited\n";
		t.dispatchEvent(new Event("input", {bubbles: true}));
		return true;
	})()`)
	// The button stays disabled while the first link is being copied.
	within(t, ctx, 10*time.Second, chromedp.WaitEnabled(chromedp.CSS(`[data-testid="share"]`)))
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="share"]`)))
	msg := waitFor[string](t, ctx, "the refusal", `document.querySelector('[data-testid="share-out"].error .share-msg')?.textContent || null`)
	if !strings.Contains(msg, "Sharing is off") {
		t.Errorf("sharing without a database says %q, want the server's sentence", msg)
	}
	screenshot(t, ctx, "share-error-1280")
}
