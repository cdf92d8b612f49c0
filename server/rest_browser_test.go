package server_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A 300,000-event sim run comes faster than the page draws it, so events
// are shed while it streams; after the end the page downloads the rest
// and holds every event the result counts, in order.
func TestPageGetsEveryEvent(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=2&iterations=75000&mode=sim&seed=1"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="run"]`)))
	// A page busy elsewhere while the run streams: the socket backs up
	// and the server sheds events for it. The spell starts with the first
	// events, so that a run faster than the test cannot end before it.
	waitFor[bool](t, ctx, "the first events", `window.interleave.model.events.length > 0 || null`)
	evaluate[bool](t, ctx, `(() => { const t0 = Date.now(); while (Date.now() - t0 < 3000) {} return true; })()`)
	// The end arrives first, then the rest: wait until no download is
	// under way and the model holds as many events as the result counts.
	type held struct {
		Events, Total, Dropped int
		Contiguous             bool
		Message                string
	}
	got := waitFor[*held](t, ctx, "every event in the page", `(() => {
		const m = window.interleave.model;
		const s = document.querySelector('[data-testid="status"]').textContent;
		if (!m.result || s === "loading" || s === "running" || s === "starting" || s === "queued") return null;
		const ev = m.events;
		let contiguous = true;
		for (let i = 1; i < ev.length; i++) if (ev.at(i).seq !== ev.at(0).seq + i) { contiguous = false; break; }
		return { events: ev.length, total: m.result.stats.events, dropped: m.result.stats.dropped, contiguous, message: m.result.message };
	})()`)
	if got.Total < 300_000 {
		t.Fatalf("the result counts %d events, want at least 300,000", got.Total)
	}
	if !strings.Contains(got.Message, "after the run") {
		t.Errorf("message = %q, want it to say events came after the run (none were shed?)", got.Message)
	}
	if got.Events != got.Total || !got.Contiguous || got.Dropped != 0 {
		t.Errorf("page holds %d of %d events (contiguous %v, dropped %d), want all, contiguous, none dropped; message %q",
			got.Events, got.Total, got.Contiguous, got.Dropped, got.Message)
	}
	t.Logf("%d events; result message %q", got.Events, got.Message)
	if strings.Contains(got.Message, "were not sent") {
		t.Errorf("message = %q, still says events were not sent", got.Message)
	}
}

// TestRestBenchmark: a 1,000,000-event sim run (5 × 100,000 increments of
// lost-update, at the event limit) in the page through the socket, with no
// busy spell but the page's own drawing: how many events came while it
// streamed, how long the rest took after the end, and the JS heap once
// the page holds them all. Numbers go to docs/benchmarks.md.
func TestRestBenchmark(t *testing.T) {
	if os.Getenv("INTERLEAVE_BENCH_BROWSER") == "" {
		t.Skip("a benchmark: set INTERLEAVE_BENCH_BROWSER=1 to run it")
	}
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 720)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=5&iterations=100000&mode=sim&seed=1"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	// Stamp the moments: the end message's arrival (first final status)
	// and the last frame with every event.
	evaluate[bool](t, ctx, `(() => {
		window.__rest = { streamed: 0, endAt: 0 };
		const st = document.querySelector('[data-testid="status"]');
		new MutationObserver(() => {
			if (st.textContent === "loading" && !window.__rest.endAt) {
				window.__rest.endAt = performance.now();
				window.__rest.streamed = window.interleave.model.events.length;
			}
		}).observe(st, { childList: true, characterData: true, subtree: true });
		return true;
	})()`)
	evaluate[bool](t, ctx, `(() => { window.__rest.clickAt = performance.now(); document.querySelector('[data-testid="run"]').click(); return true; })()`)
	type res struct {
		Events, Total, Streamed int
		RunMs, RestMs, HeapMB   float64
	}
	tctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	got, err := chromedp.Run(tctx, chromedp.Poll[*res](`(() => {
		const m = window.interleave.model, r = window.__rest;
		const s = document.querySelector('[data-testid="status"]').textContent;
		if (!m.result || !r.endAt || s === "loading") return null;
		const now = performance.now(), run = r.clickAt;
		return { events: m.events.length, total: m.result.stats.events, streamed: r.streamed,
			runMs: r.endAt - run, restMs: now - r.endAt,
			heapMB: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : -1 };
	})()`, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		t.Fatalf("waiting for every event: %v", err)
	}
	mem := measureMemory(t, ctx)
	t.Logf("%d of %d events in the page; %d came while the run streamed (%.0f ms, Run to end), the rest in %.0f ms after the end; JS heap %.0f MB (performance.memory); after a collection V8 heap %.0f MB, array buffers %.0f MB, renderer RSS %.0f MB",
		got.Events, got.Total, got.Streamed, got.RunMs, got.RestMs, got.HeapMB, mem.HeapMB, mem.BuffersMB, mem.RendererMB)
	if got.Events != got.Total {
		t.Errorf("page holds %d of %d events", got.Events, got.Total)
	}
}
