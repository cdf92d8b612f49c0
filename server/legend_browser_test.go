package server_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// legendLabel is where one legend entry's words are, as a person would
// find them: the box of its text, and what is drawn on top of that box's
// middle once scrolled into view.
type legendLabel struct {
	Text   string  `json:"text"`
	X      float64 `json:"x"`
	Right  float64 `json:"right"`
	H      float64 `json:"h"`
	OnTop  bool    `json:"onTop"`
	Clip   string  `json:"clip"`
	Canvas float64 `json:"canvas"`
}

// legendLabelsJS reads every legend entry's label: its text's own box
// (a Range over the text, not the item's), whether the entry is what is
// hit at that box's middle, and any ancestor that clips it away. The
// page scrolls to the legend's top, not to each entry: scrolling an entry
// into view would scroll a clipping legend too, and hide the fault.
const legendLabelsJS = `(document.querySelector(".legend").scrollIntoView({block: "start"}),
	[...document.querySelectorAll(".legend li")].map((li) => {
	const range = document.createRange();
	range.selectNodeContents(li);
	const r = range.getBoundingClientRect();
	const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
	let clip = "";
	for (let a = li.parentElement; a && !clip; a = a.parentElement) {
		const cs = getComputedStyle(a);
		if (cs.overflow === "visible" && cs.overflowY === "visible") continue;
		const b = a.getBoundingClientRect();
		if (r.bottom > b.bottom + 1 || r.top < b.top - 1) clip = a.className || a.tagName;
	}
	return {text: li.textContent, x: r.x, right: r.right, h: r.height, onTop: !!hit && li.contains(hit),
		clip, canvas: li.querySelector("canvas").getBoundingClientRect().width};
}))`

// TestLegendOnAPhone runs a scenario at 390x844, plain and as a phone
// with three device pixels to the CSS pixel and touch: every legend
// entry's words are on the screen, on top, and clipped by nothing, below
// its first row as in it.
func TestLegendOnAPhone(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	for _, tc := range []struct {
		name    string
		emulate chromedp.Action[chromedp.Void]
	}{
		{"390x844", chromedp.EmulateViewport(390, 844)},
		{"390x844 mobile dpr 3", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			within(t, ctx, 5*time.Second, tc.emulate)
			if st := runPage(t, ctx, ts.URL+"/s/polite-livelock"); st != "failed" && st != "ok" {
				t.Fatalf("polite-livelock: status %q, want failed or ok", st)
			}
			labels := evaluate[[]legendLabel](t, ctx, legendLabelsJS)
			if len(labels) < 20 {
				t.Fatalf("%d legend entries, want every one of the template's", len(labels))
			}
			for _, l := range labels {
				if l.H < 8 || l.X < 0 || l.Right > 390 || !l.OnTop || l.Clip != "" || l.Canvas < 10 {
					t.Errorf("legend entry %q: text box x %.0f to %.0f, height %.0f, on top %v, clipped by %q, swatch %.0f px: want it whole on a 390 px screen",
						l.Text, l.X, l.Right, l.H, l.OnTop, l.Clip, l.Canvas)
				}
			}
		})
	}
}
