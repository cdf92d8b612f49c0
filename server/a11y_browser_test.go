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
	scheme(t, ctx, "light")
	screenshot(t, ctx, "a11y-two-locks")
}
