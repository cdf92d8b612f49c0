package server_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// viewState is what the keyboard changes: the timeline's view and the
// page's state around it.
type viewState struct {
	T0       float64 `json:"t0"`
	T1       float64 `json:"t1"`
	Follow   any     `json:"follow"`
	View     string  `json:"view"`
	Selected any     `json:"selected"`
	Runs     int     `json:"runs"`
}

// The keyboard shortcuts listed under the lanes zoom, pan, fit, switch
// to the log, clear the selection and run again while the timeline has
// the focus, do nothing elsewhere or when switched off, and the page
// throws no script error on the way.
func TestShortcuts(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/lost-update?threads=2&iterations=50&mode=sim&seed=1"))
	// Script errors from here on are kept, to be reported at the end.
	within(t, ctx, 10*time.Second, chromedp.Evaluate[any](`window.thrown = [];
		addEventListener("error", (e) => window.thrown.push(e.message));
		addEventListener("unhandledrejection", (e) => window.thrown.push(String(e.reason)))`))
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="run"]`)))
	within(t, ctx, 60*time.Second, chromedp.Poll[bool](`window.interleave.runs === 1 && !window.interleave.timeline.running && document.querySelector('[data-testid="run"]').textContent === "Run again"`))
	state := func() viewState {
		t.Helper()
		return within(t, ctx, 5*time.Second, chromedp.Evaluate[viewState](`(() => {
			window.interleave.timeline.drawNow();
			const v = window.interleave.timeline.view;
			const wrap = document.querySelector(".timeline-wrap");
			return { t0: v.t0, t1: v.t1, follow: v.follow, view: wrap.dataset.view || "timeline",
				selected: window.interleave.timeline.selected, runs: window.interleave.runs };
		})()`))
	}
	press := func(key string, mods ...chromedp.KeyOption) {
		t.Helper()
		within(t, ctx, 20*time.Second, chromedp.KeyEvent(key, mods...))
	}
	// A letter typed on a button is not a shortcut.
	within(t, ctx, 5*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="share"]`)))
	press("l")
	if s := state(); s.View != "timeline" {
		t.Errorf("l on Share: view %q, want the timeline still", s.View)
	}
	focusTimeline := func() {
		t.Helper()
		within(t, ctx, 5*time.Second, chromedp.Focus(chromedp.CSS(`[data-testid="timeline"]`)))
	}
	focusTimeline()

	fit := state()
	press("+")
	in := state()
	if w, fw := in.T1-in.T0, fit.T1-fit.T0; w > fw*0.7 || in.Follow != false {
		t.Errorf("after +: view %v wide, follow %v; want about %v (the fit %v / 1.6), not following", w, in.Follow, fw/1.6, fw)
	}
	press("d")
	right := state()
	if right.T0 <= in.T0 || right.T1-right.T0 != in.T1-in.T0 {
		t.Errorf("after d: view [%v, %v], want [%v, %v] moved right", right.T0, right.T1, in.T0, in.T1)
	}
	// Switched off, letters do nothing, and the switch is remembered.
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="shortcuts-on"]`)))
	focusTimeline()
	press("0")
	if s := state(); s.T0 != right.T0 || s.T1 != right.T1 {
		t.Errorf("0 with letters off: view [%v, %v], want [%v, %v] unchanged", s.T0, s.T1, right.T0, right.T1)
	}
	if v := evaluate[string](t, ctx, `localStorage.getItem("interleave.shortcuts")`); v != "off" {
		t.Errorf("stored switch = %q, want off", v)
	}
	within(t, ctx, 5*time.Second, chromedp.Click(chromedp.CSS(`[data-testid="shortcuts-on"]`)))
	focusTimeline()
	press("0")
	if s := state(); s.Follow != "fit" || s.T1-s.T0 != fit.T1-fit.T0 {
		t.Errorf("after 0: follow %v, width %v; want fit, %v", s.Follow, s.T1-s.T0, fit.T1-fit.T0)
	}
	press("l")
	if s := state(); s.View != "log" {
		t.Errorf("after l: view %q, want log", s.View)
	}
	if f := focused(t, ctx); f != "log-row" {
		t.Errorf("after l: focus on %q, want a row of the log", f)
	}
	within(t, ctx, 5*time.Second, chromedp.Evaluate[any](`window.interleave.showView("timeline")`))
	within(t, ctx, 5*time.Second, chromedp.Evaluate[bool](`window.interleave.timeline.select(3)`))
	press(kb.Escape)
	if s := state(); s.Selected != nil {
		t.Errorf("after Esc: selected %v, want none", s.Selected)
	}
	press(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl))
	within(t, ctx, 60*time.Second, chromedp.Poll[bool](`window.interleave.runs === 2 && !window.interleave.timeline.running && window.interleave.timeline.events > 0`))
	if thrown := within(t, ctx, 5*time.Second, chromedp.Evaluate[[]string](`window.thrown`)); len(thrown) > 0 {
		t.Errorf("the page threw %d script errors: %q", len(thrown), thrown)
	}
}
