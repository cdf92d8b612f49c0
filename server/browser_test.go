package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts headless Chromium for one test. Under CI (CI set) a
// missing browser fails the test: browser tests must run there.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium found; CI must install it (apt-get install chromium)")
		}
		t.Skip("no chromium found; install it to run browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 720),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser; it must not carry a timeout,
	// or the browser dies with that context.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// within bounds one browser step in time, so a broken page fails the test
// instead of hanging it.
func within[T any](t *testing.T, ctx context.Context, d time.Duration, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// screenshot saves the page for people to look at, under ARTIFACTS (or
// the test's temporary folder).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := within(t, ctx, 20*time.Second, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserRunLostUpdate(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=3&iterations=300"))
	within(t, ctx, 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`[data-testid="run"]`)))
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="run"]`)))
	// The result is shown when the status leaves its running states.
	status := within(t, ctx, 60*time.Second, chromedp.Poll[string](`(() => {
		const s = document.querySelector('[data-testid="status"]').textContent;
		return ["ok", "failed", "error", "deadlock", "panic", "timeout", "limit", "stopped"].includes(s) ? s : null;
	})()`))
	if status != "ok" && status != "failed" {
		summary := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="summary"]`)))
		t.Fatalf("status = %q (%s), want ok or failed", status, summary)
	}
	lanes := within(t, ctx, 10*time.Second, chromedp.AttributesAll(chromedp.CSSAll(`[data-testid="lane"]`)))
	drawn := map[string]int{}
	names := map[string]string{}
	for _, l := range lanes {
		n, _ := strconv.Atoi(l["data-drawn"])
		drawn[l["data-thread"]] = n
		names[l["data-thread"]] = l["data-name"]
	}
	want := map[string]string{"0": "main", "1": "worker-0", "2": "worker-1", "3": "worker-2"}
	for id, name := range want {
		if names[id] != name || drawn[id] == 0 {
			t.Errorf("lane %s = %q with %d events drawn, want %q with some", id, names[id], drawn[id], name)
		}
	}
	// Each worker reads and writes the counter 300 times.
	for _, id := range []string{"1", "2", "3"} {
		if drawn[id] < 600 {
			t.Errorf("lane %s drew %d events, want at least 600", id, drawn[id])
		}
	}
	counter := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cells"] [data-cell="counter"] strong`)))
	n, err := strconv.Atoi(counter)
	if err != nil || n < 1 || n > 900 {
		t.Errorf("final counter shown = %q, want a number from 1 to 900", counter)
	}
	if status == "ok" && n != 900 {
		t.Errorf("status ok with counter %d, want 900", n)
	}
	screenshot(t, ctx, "lost-update")
}

// A deadlock on channels has no holder to point at: the page must not
// draw a lane for a thread that does not exist, nor say "held by" nobody.
func TestBrowserChannelDeadlock(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	status := runPage(t, ctx, ts.URL+"/s/recv-from-each-other?mode=sim&seed=1")
	if status != "deadlock" {
		t.Fatalf("status = %q, want deadlock", status)
	}
	lanes := within(t, ctx, 10*time.Second, chromedp.AttributesAll(chromedp.CSSAll(`[data-testid="lane"]`)))
	for _, l := range lanes {
		if l["data-thread"] == "-1" {
			t.Errorf("a lane is drawn for thread -1: %v", l)
		}
	}
	if len(lanes) != 3 {
		t.Errorf("%d lanes, want main, alice and bob", len(lanes))
	}
	banner := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="cycle-banner"]`)))
	result := within(t, ctx, 5*time.Second, chromedp.Text(chromedp.CSS(`[data-testid="result"]`)))
	for _, text := range []string{banner, result} {
		if strings.Contains(text, "held by ,") || strings.Contains(text, "held by \n") || strings.HasSuffix(strings.TrimSpace(text), "held by") {
			t.Errorf("page says a channel is held by nobody: %q", text)
		}
	}
	if !strings.Contains(banner, "every thread is blocked") || !strings.Contains(banner, `channel "to alice"`) {
		t.Errorf("banner = %q, want it to say every thread is blocked, naming the channels", banner)
	}
}
