package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// schedView is what the picks panel shows.
type schedView struct {
	Hidden bool     `json:"hidden"`
	Steps  string   `json:"steps"`
	Picks  []string `json:"picks"` // the pick buttons' test ids
	Undo   bool     `json:"undo"`  // enabled
	Redo   bool     `json:"redo"`
	Solved string   `json:"solved"` // the solved line, "" while hidden
	Msg    string   `json:"msg"`
	Status string   `json:"status"`
	URL    string   `json:"url"`
}

const readSched = `(() => {
	const p = document.querySelector('[data-testid="sched-panel"]');
	const q = (id) => document.querySelector('[data-testid="' + id + '"]');
	const solved = q("sched-solved");
	return {
		hidden: p.hidden, steps: q("sched-steps").textContent,
		picks: [...p.querySelectorAll('.sched-pick:not([disabled])')].map((b) => b.dataset.testid),
		undo: !q("sched-undo").disabled, redo: !q("sched-redo").disabled,
		solved: solved.hidden ? "" : solved.textContent.trim(), msg: q("sched-msg").textContent,
		status: q("status").textContent, url: location.href,
	};
})()`

func readSchedView(t *testing.T, ctx context.Context) schedView {
	t.Helper()
	return evaluate[schedView](t, ctx, readSched)
}

// click clicks the element a CSS selector finds, once it is enabled.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	waitFor[bool](t, ctx, sel+" enabled", fmt.Sprintf(`(() => { const b = document.querySelector(%q); return !!b && !b.disabled; })()`, sel))
	within(t, ctx, 10*time.Second, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// waitSteps waits until the panel counts n steps and a choice (or the
// end) has come.
func waitSteps(t *testing.T, ctx context.Context, n int, ended bool) schedView {
	t.Helper()
	want := "picking"
	if ended {
		want = "deadlock"
	}
	waitFor[bool](t, ctx, fmt.Sprintf("%d steps, status %s", n, want), fmt.Sprintf(
		`document.querySelector('[data-testid="sched-steps"]').textContent.startsWith("%d step") && document.querySelector('[data-testid="status"]').textContent === %q`, n, want))
	return readSchedView(t, ctx)
}

// pickSixOfOppositeLocks makes the first six picks of opposite-locks'
// shortest solution: main spawns both threads, alpha takes `first`, beta
// takes `second` (beta is picked the first time by its lane's name, alpha
// once by a click on its next line in the script); a pick of alpha then
// deadlocks.
func pickSixOfOppositeLocks(t *testing.T, ctx context.Context) schedView {
	t.Helper()
	var v schedView
	picks := []string{"pick-0", "pick-0", "pick-1", "line-1", "lane-2", "pick-2"}
	for i, id := range picks {
		sel := fmt.Sprintf(`[data-testid=%q]`, id)
		if th, ok := strings.CutPrefix(id, "lane-"); ok {
			sel = fmt.Sprintf(`.tl-labels [data-testid="lane"][data-thread=%q]`, th)
			waitFor[bool](t, ctx, "beta's lane offered as a pick", fmt.Sprintf(`!!document.querySelector('%s.pickable')`, sel))
		}
		lineTh, byLine := strings.CutPrefix(id, "line-")
		if byLine {
			sel, _ = pickLine(t, ctx, lineTh, "alpha")
		}
		before := v.URL
		click(t, ctx, sel)
		v = waitSteps(t, ctx, i+1, false)
		if byLine {
			checkLinePick(t, before, v.URL, lineTh)
		}
	}
	return v
}

// pickLine is the selector of the line number in the script a click on
// which picks thread th (called name) at the choice on show: a line th
// runs next, th the first in lane order of the threads that do. Its
// title says so, and is returned too.
func pickLine(t *testing.T, ctx context.Context, th, name string) (string, string) {
	t.Helper()
	sel := fmt.Sprintf(`.gutter span[data-pick=%q], .gutter span[data-pick^="%s "]`, th, th)
	title := waitFor[string](t, ctx, name+"'s next line offered as a pick", fmt.Sprintf(`document.querySelector(%q)?.title || ""`, sel))
	if !strings.Contains(title, "pick "+name) && !strings.Contains(title, "picks "+name) {
		t.Errorf("the title of %s's next line = %q, want it to say a click picks %s", name, title, name)
	}
	return sel, title
}

// checkLinePick checks that a click on a line picked thread th: the
// link's schedule holds one more choice, of th.
func checkLinePick(t *testing.T, before, after, th string) {
	t.Helper()
	// choices reads a schedule in the engine's form (id*count joined by
	// "."): how many choices it makes and the last one's thread.
	choices := func(u string) (n int, last string) {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		s := p.Query().Get("schedule")
		for _, part := range strings.Split(s, ".") {
			if part == "" {
				continue
			}
			id, count, ok := strings.Cut(part, "*")
			c := 1
			if ok {
				fmt.Sscan(count, &c)
			}
			n, last = n+c, id
		}
		return n, last
	}
	n0, _ := choices(before)
	n1, last := choices(after)
	if n1 != n0+1 || last != th {
		t.Errorf("after a click on a line the link is %s (was %s), want its schedule to make one more choice, of thread %s", after, before, th)
	}
}

// A person plays the opposite-locks challenge on a phone-sized page with
// buttons only: picks threads (once by their lane's name, twice by a
// click on a thread's next line in the script) until the two
// threads deadlock, undoing and redoing a pick on the way; the solved
// line counts the steps against the shortest known; undo after the end
// goes one step back and redo solves it again; the page's link, opened
// in a fresh browser, replays the solution to the same deadlock.
func TestBrowserYouScheduleDeadlock(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 390, 844)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/opposite-locks"))
	if v := readSchedView(t, ctx); !v.Hidden {
		t.Fatalf("before You schedule the picks panel is shown, want it hidden")
	}
	click(t, ctx, `[data-testid="you-schedule"]`)
	v := waitSteps(t, ctx, 0, false)
	if v.Hidden || len(v.Picks) < 2 || v.Undo || v.Redo {
		t.Fatalf("at the first choice: panel hidden %v, picks %q, undo %v, redo %v; want shown, 2 or more picks, no undo or redo", v.Hidden, v.Picks, v.Undo, v.Redo)
	}
	goal := evaluate[string](t, ctx, `document.querySelector('[data-testid="sched-goal"]').textContent`)
	if !strings.Contains(goal, "deadlock") {
		t.Errorf("goal = %q, want it to ask for a deadlock", goal)
	}

	v = pickSixOfOppositeLocks(t, ctx)
	screenshot(t, ctx, "you-schedule-picking")
	undoRedoAtSix(t, ctx, v)
	// Alpha and beta both run one line next: a click on it picks alpha, the
	// first lane of the two, as its title says (the link checks the pick).
	sel, title := pickLine(t, ctx, "1", "alpha")
	if want := "alpha and beta run this line next"; !strings.HasPrefix(title, want) {
		t.Errorf("the title of the line both threads run next = %q, want it to start %q", title, want)
	}
	click(t, ctx, sel)
	v = waitSteps(t, ctx, 7, true)
	if want := "Solved in 7 steps; the shortest known solution takes 7."; !strings.HasPrefix(v.Solved, want) {
		t.Errorf("solved line = %q, want it to start %q", v.Solved, want)
	}
	if want := "Next, the fix: every thread takes the locks in one order. Try You schedule there: no schedule leads to a deadlock."; !strings.HasSuffix(strings.Join(strings.Fields(v.Solved), " "), want) {
		t.Errorf("solved line = %q, want it to end %q", v.Solved, want)
	}
	if evaluate[bool](t, ctx, `!document.querySelector('[data-testid="sched-prompt"]').hidden`) {
		t.Errorf("after the end the panel still asks for a pick, want its prompt hidden")
	}
	u, err := url.Parse(v.URL)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("you") != "1" || q.Get("schedule") != "0*2.1*2.2*2.1" || q.Get("mode") != "sim" {
		t.Fatalf("URL = %s, want mode=sim, schedule=0*2.1*2.2*2.1 and you=1", v.URL)
	}
	screenshot(t, ctx, "you-schedule-solved")
	// Undo after the end starts the run again one step back; redo ends it
	// in the same deadlock.
	click(t, ctx, `[data-testid="sched-undo"]`)
	if w := waitSteps(t, ctx, 6, false); w.Solved != "" || !w.Redo {
		t.Errorf("undo after the end: solved line %q, redo %v; want it hidden and redo offered", w.Solved, w.Redo)
	}
	click(t, ctx, `[data-testid="sched-redo"]`)
	if w := waitSteps(t, ctx, 7, true); w.URL != v.URL || !strings.HasPrefix(w.Solved, "Solved in 7 steps") {
		t.Errorf("redo after undo after the end: URL %s, solved %q; want %s and Solved in 7 steps", w.URL, w.Solved, v.URL)
	}

	// The link, in a browser that has seen nothing: the same deadlock.
	fresh := newBrowser(t)
	viewport(t, fresh, 390, 844)
	within(t, fresh, 30*time.Second, chromedp.Navigate(v.URL))
	w := waitSteps(t, fresh, 7, true)
	if !strings.HasPrefix(w.Solved, "Solved in 7 steps") {
		t.Errorf("the link's page: solved line = %q, want Solved in 7 steps", w.Solved)
	}
	banner := evaluate[string](t, fresh, `document.querySelector('[data-testid="cycle-banner"]').textContent`)
	if !strings.Contains(banner, "alpha") || !strings.Contains(banner, "beta") {
		t.Errorf("the link's page: deadlock banner = %q, want the cycle of alpha and beta", banner)
	}
}

// undoRedoAtSix checks the sixth choice of opposite-locks (v): the state
// panel shows who holds which lock, which the lanes cannot show while
// time stands still; undo replays the run without the last pick, and
// redo brings back the same events.
func undoRedoAtSix(t *testing.T, ctx context.Context, v schedView) {
	t.Helper()
	objects := evaluate[string](t, ctx, `document.querySelector('[data-testid="step"]').hidden ? "" : document.querySelector('[data-testid="step-objects"]').textContent`)
	for _, want := range []string{"first: held by alpha", "second: held by beta"} {
		if !strings.Contains(objects, want) {
			t.Errorf("at the sixth choice the state panel's objects = %q, want %q", objects, want)
		}
	}
	if !v.Undo || v.Redo {
		t.Fatalf("after 6 picks: undo %v, redo %v; want undo only", v.Undo, v.Redo)
	}
	// Every event up to a choice is in the page before the choice.
	const events = `window.interleave.model.events.length`
	at6 := evaluate[int](t, ctx, events)
	click(t, ctx, `[data-testid="sched-undo"]`)
	v = waitSteps(t, ctx, 5, false)
	if !v.Redo {
		t.Fatalf("after undo: redo enabled = false, want true")
	}
	if at5 := evaluate[int](t, ctx, events); at5 >= at6 || at5 == 0 {
		t.Errorf("after undo the timeline has %d events, want fewer than the %d before and more than 0: the run replays without the undone pick", at5, at6)
	}
	click(t, ctx, `[data-testid="sched-redo"]`)
	v = waitSteps(t, ctx, 6, false)
	if v.Redo {
		t.Errorf("after redo: redo still enabled, want it off")
	}
	if again := evaluate[int](t, ctx, events); again != at6 {
		t.Errorf("after redo the timeline has %d events, want the %d it had before the undo", again, at6)
	}
}

// The picks panel by keyboard alone, and its accessibility: Enter on You
// schedule puts the focus on the first pick; Enter on a pick keeps the
// focus on that thread's button when the next choice comes; Tab reaches
// "until it blocks", undo and the hints, which show one at a time; the
// panel passes axe-core's WCAG 2.1 A and AA rules while picking, with a
// hint shown, and once solved, in both schemes, on a laptop and a phone.
func TestBrowserYouScheduleKeyboard(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 1280, 800)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/opposite-locks"))
	evaluate[bool](t, ctx, `(() => { document.querySelector('[data-testid="you-schedule"]').focus(); return true })()`)
	press := func(key string) string {
		t.Helper()
		within(t, ctx, 10*time.Second, chromedp.KeyEvent(key))
		return focused(t, ctx)
	}
	press(kb.Enter)
	waitSteps(t, ctx, 0, false)
	if f := focused(t, ctx); f != "pick-0" {
		t.Fatalf("after Enter on You schedule: focus on %q, want pick-0", f)
	}
	press(kb.Enter)
	waitSteps(t, ctx, 1, false)
	if f := focused(t, ctx); f != "pick-0" {
		t.Fatalf("after a pick by Enter: focus on %q, want pick-0 again", f)
	}
	// Main has spawned both threads and waits to join: its button goes,
	// and the focus goes to the first pick.
	press(kb.Enter)
	v := waitSteps(t, ctx, 2, false)
	if f := focused(t, ctx); len(v.Picks) == 0 || f != v.Picks[0] {
		t.Fatalf("after main's last pick: focus on %q, want the first pick of %q", f, v.Picks)
	}
	var walk []string
	for f := press(kb.Tab); f != "sched-hint"; f = press(kb.Tab) {
		if f == "body" || len(walk) > 12 {
			t.Fatalf("Tab from the picks: %q, never reached the hint button", walk)
		}
		walk = append(walk, f)
	}
	var want []string
	for i, id := range v.Picks {
		if i > 0 {
			want = append(want, id)
		}
		want = append(want, strings.Replace(id, "pick-", "pick-until-", 1))
	}
	want = append(want, "sched-undo") // redo is off: nothing was undone
	if strings.Join(walk, " ") != strings.Join(want, " ") {
		t.Errorf("Tab from the first pick: %q, want %q", walk, want)
	}
	hints := func() int {
		return evaluate[int](t, ctx, `[...document.querySelectorAll('#sched-hints li')].filter((li) => !li.hidden).length`)
	}
	if n := hints(); n != 0 {
		t.Fatalf("before the hint button: %d hints shown, want 0", n)
	}
	press(kb.Enter)
	if n := hints(); n != 1 {
		t.Errorf("after one press of the hint button: %d hints shown, want 1", n)
	}
	axe := axeSource(t)
	auditLooks(t, ctx, axe, "opposite-locks picking, one hint shown")
	viewport(t, ctx, 1280, 800)
	for i, th := range []string{"1", "1", "2", "2", "1"} {
		click(t, ctx, `[data-testid="pick-`+th+`"]`)
		if i < 4 {
			waitSteps(t, ctx, 3+i, false)
		}
	}
	waitSteps(t, ctx, 7, true)
	auditLooks(t, ctx, axe, "opposite-locks solved")
}

// On a fix's page the picks panel names the challenge it fixes and says
// its goal is out of reach; a run picked to its end says the fix held.
func TestBrowserYouScheduleFixHeld(t *testing.T) {
	ts := startServer(t)
	ctx := newBrowser(t)
	viewport(t, ctx, 390, 844)
	within(t, ctx, 30*time.Second, chromedp.Navigate(ts.URL+"/s/opposite-locks-fixed"))
	click(t, ctx, `[data-testid="you-schedule"]`)
	waitSteps(t, ctx, 0, false)
	fixes := evaluate[string](t, ctx, `document.querySelector('[data-testid="sched-fixes"]').textContent`)
	if want := "no schedule leads to a deadlock here"; !strings.Contains(fixes, want) || !strings.Contains(fixes, "Challenge: two locks, taken in opposite orders") {
		t.Errorf("fix page's panel says %q, want the challenge's title and %q", fixes, want)
	}
	// Each thread until it blocks, alpha first: the run ends, ok.
	for _, id := range []string{"pick-until-0", "pick-until-1", "pick-until-2", "pick-until-1", "pick-until-0"} {
		if evaluate[string](t, ctx, `document.querySelector('[data-testid="status"]').textContent`) == "ok" {
			break
		}
		sel := fmt.Sprintf(`[data-testid=%q]`, id)
		if !evaluate[bool](t, ctx, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
			continue
		}
		click(t, ctx, sel)
		waitFor[bool](t, ctx, "the next choice or the end", `["picking", "ok"].includes(document.querySelector('[data-testid="status"]').textContent) && !document.querySelector('.sched-pick[aria-disabled]')`)
	}
	waitFor[bool](t, ctx, "the run's end", `document.querySelector('[data-testid="status"]').textContent === "ok"`)
	v := readSchedView(t, ctx)
	if want := "The run ended normally, without a deadlock: the fix held."; !strings.HasPrefix(v.Msg, want) || v.Solved != "" {
		t.Errorf("at the end: message %q, solved %q; want %q and no solved line", v.Msg, v.Solved, want)
	}
}
