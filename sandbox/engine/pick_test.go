package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"interleave/sandbox/trace"
)

// scriptedPerson answers the choices it is asked with picks, in order,
// and is gone when they run out. It keeps a copy of every choice asked,
// the events emitted by then, and every refusal.
type scriptedPerson struct {
	picks   []trace.Pick
	asked   []trace.Choice
	emitted []int // events emitted when each choice was asked
	refused []string
	events  *[]trace.Event
}

func (p *scriptedPerson) Ask(c *trace.Choice) (trace.Pick, bool) {
	cp := *c
	cp.Runnable = slices.Clone(c.Runnable)
	p.asked = append(p.asked, cp)
	p.emitted = append(p.emitted, len(*p.events))
	if len(p.picks) == 0 {
		return trace.Pick{}, false
	}
	pk := p.picks[0]
	p.picks = p.picks[1:]
	return pk, true
}

func (p *scriptedPerson) Refuse(_ *trace.Choice, msg string) { p.refused = append(p.refused, msg) }

// picks makes plain picks of the threads given.
func picks(ths ...int) []trace.Pick {
	out := make([]trace.Pick, len(ths))
	for i, th := range ths {
		out[i] = trace.Pick{Th: th}
	}
	return out
}

func TestPickChooser(t *testing.T) {
	twoLocks := lib(t, "two-locks.star")
	undo := trace.Pick{Undo: true}
	cases := []struct {
		name      string
		prefix    string
		picks     []trace.Pick
		status    trace.Status
		asked     int      // choices put to the person
		firstN    int      // N of the first choice asked
		refused   []string // refusals, in order
		undone    bool
		back      string // Back() after the run, when undone
		schedule  string // the result's schedule
		lastTexts []string
	}{
		{name: "picks to a deadlock", picks: picks(0, 0, 1, 2, 1, 2, 1), status: trace.StatusDeadlock, asked: 7,
			schedule: "0*2.1.2.1.2.1",
			lastTexts: []string{"alpha will lock second (line 59), and would have to wait",
				"beta will lock first (line 59), and would have to wait"}},
		{name: "a prefix is replayed without asking", prefix: "0*2.1.2", picks: picks(1, 2, 1), status: trace.StatusDeadlock,
			asked: 3, firstN: 4, schedule: "0*2.1.2.1.2.1"},
		{name: "a thread that cannot run is refused", picks: append(picks(7), picks(0, 0, 1, 2, 1, 2, 1)...), status: trace.StatusDeadlock,
			asked: 8, refused: []string{"thread 7 cannot run now: it is not among the runnable threads."}, schedule: "0*2.1.2.1.2.1"},
		{name: "undo at the first choice is refused", picks: append([]trace.Pick{undo}, picks(0, 0, 1, 2, 1, 2, 1)...), status: trace.StatusDeadlock,
			asked: 8, refused: []string{"There is nothing to undo yet."}, schedule: "0*2.1.2.1.2.1"},
		{name: "undo abandons the run one choice back", picks: append(picks(0, 0, 1), undo), status: trace.StatusStopped,
			asked: 4, undone: true, back: "0*2"},
		{name: "until blocks runs a thread that never blocks to its end", picks: []trace.Pick{{Th: 0}, {Th: 0}, {Th: 1, Until: trace.UntilBlocks}},
			status: trace.StatusStopped, asked: 4, schedule: "0*2.1*7"},
		{name: "a person who leaves stops the run", picks: picks(0), status: trace.StatusStopped, asked: 2, schedule: "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var evs []trace.Event
			p := &scriptedPerson{picks: tc.picks, events: &evs}
			pc, err := NewPickChooser(tc.prefix, p)
			if err != nil {
				t.Fatalf("NewPickChooser(%q) = %v", tc.prefix, err)
			}
			res := RunWith(context.Background(), Request{Source: twoLocks, Mode: trace.ModeSim}, Options{Chooser: pc},
				func(b []trace.Event) { evs = append(evs, b...) })
			if res.Status != tc.status {
				t.Fatalf("status = %v (%s), want %v", res.Status, res.Message, tc.status)
			}
			if len(p.asked) != tc.asked {
				t.Fatalf("asked %d choices, want %d", len(p.asked), tc.asked)
			}
			if p.asked[0].N != tc.firstN {
				t.Errorf("first choice asked N = %d, want %d", p.asked[0].N, tc.firstN)
			}
			if !slices.Equal(p.refused, tc.refused) {
				t.Errorf("refused = %q, want %q", p.refused, tc.refused)
			}
			if pc.Undone() != tc.undone || (tc.undone && pc.Back() != tc.back) {
				t.Errorf("Undone() = %v, Back() = %q, want %v, %q", pc.Undone(), pc.Back(), tc.undone, tc.back)
			}
			if tc.schedule != "" && res.Schedule != tc.schedule {
				t.Errorf("schedule = %q, want %q", res.Schedule, tc.schedule)
			}
			if tc.lastTexts != nil {
				var texts []string
				for _, r := range p.asked[len(p.asked)-1].Runnable {
					texts = append(texts, r.Text)
				}
				if !slices.Equal(texts, tc.lastTexts) {
					t.Errorf("last choice's texts = %q, want %q", texts, tc.lastTexts)
				}
			}
		})
	}
}

// TestPickChooserFlushes checks that every event before a choice has
// been emitted when the person is asked: a run that replays the choice's
// schedule and is abandoned there makes the same events, less its
// cutoffs, and no more.
func TestPickChooserFlushes(t *testing.T) {
	src := lib(t, "two-locks.star")
	var evs []trace.Event
	p := &scriptedPerson{picks: picks(0, 0, 1, 2, 1, 2, 1), events: &evs}
	pc, _ := NewPickChooser("", p)
	res := RunWith(context.Background(), Request{Source: src, Mode: trace.ModeSim}, Options{Chooser: pc},
		func(b []trace.Event) { evs = append(evs, b...) })
	if res.Status != trace.StatusDeadlock {
		t.Fatalf("status = %v, want deadlock", res.Status)
	}
	for i, n := range p.emitted {
		var replay []trace.Event
		gone := &scriptedPerson{events: &replay}
		rc, err := NewPickChooser(p.asked[i].Schedule, gone)
		if err != nil {
			t.Fatalf("NewPickChooser(%q) = %v", p.asked[i].Schedule, err)
		}
		RunWith(context.Background(), Request{Source: src, Mode: trace.ModeSim}, Options{Chooser: rc},
			func(b []trace.Event) {
				for _, e := range b {
					if e.K != trace.Cutoff {
						replay = append(replay, e)
					}
				}
			})
		if len(gone.emitted) != 1 || gone.emitted[0] != n || !slices.EqualFunc(replay, evs[:n], sameEvent) {
			t.Errorf("choice %d (%q): %d events emitted when asked; the abandoned replay emitted %v then, %d before its cutoffs, want %d and the same events",
				i, p.asked[i].Schedule, n, gone.emitted, len(replay), n)
		}
	}
}

// sameEvent compares two events as a sim run makes them, times included.
func sameEvent(a, b trace.Event) bool { return a == b }

func TestChoiceCheck(t *testing.T) {
	c := &trace.Choice{N: 2, Runnable: []trace.Candidate{{Th: 1, Name: "alpha"}, {Th: 2, Name: "beta"}}}
	first := &trace.Choice{N: 0, Runnable: c.Runnable}
	names := map[int]string{0: "main"}
	cases := []struct {
		c    *trace.Choice
		pick trace.Pick
		want string
	}{
		{c, trace.Pick{Th: 1}, ""},
		{c, trace.Pick{Th: 2, Until: trace.UntilBlocks}, ""},
		{c, trace.Pick{Th: 2, Until: "ends"}, `A pick's "until" is "blocks" or absent.`},
		{c, trace.Pick{Th: 0}, "main cannot run now: it is not among the runnable threads."},
		{c, trace.Pick{Th: 9}, "thread 9 cannot run now: it is not among the runnable threads."},
		{c, trace.Pick{Undo: true}, ""},
		{first, trace.Pick{Undo: true}, "There is nothing to undo yet."},
	}
	for _, tc := range cases {
		if got := tc.c.Check(tc.pick, names); got != tc.want {
			t.Errorf("Check(%+v) at n=%d = %q, want %q", tc.pick, tc.c.N, got, tc.want)
		}
	}
}

func TestOpText(t *testing.T) {
	cases := []struct {
		p    Pending
		want string
	}{
		{Pending{Name: "worker-1", Op: Op{K: trace.Set, Obj: "counter", V: trace.Int(42), Line: 12}}, "worker-1 will set counter = 42 (line 12)"},
		{Pending{Name: "worker-1", Op: Op{K: trace.Get, Obj: "counter", Line: 11}}, "worker-1 will read counter (line 11)"},
		{Pending{Name: "alpha", Op: Op{K: trace.Lock, Obj: "first", Line: 5}, Blocks: true}, "alpha will lock first (line 5), and would have to wait"},
		{Pending{Name: "p", Op: Op{K: trace.Send, Obj: "ch", V: trace.Str("hi"), Line: 3}}, `p will send "hi" on ch (line 3)`},
		{Pending{Name: "beta", Op: Op{K: trace.Start, Obj: "beta"}}, "beta will start"},
		{Pending{Name: "main", Op: Op{}}, "main will run its next lines of code"},
		{Pending{Name: "main", Op: Op{K: trace.Join, Obj: "alpha", Line: 9}}, "main will join alpha (line 9)"},
		{Pending{Name: "ann", Op: syncAt(trace.CvWait, "ready", trace.Str("m"))}, "ann will wait on ready, letting go of m"},
		{Pending{Name: "main", Op: syncAt(trace.Notify, "ready", trace.Str("all"))}, "main will notify every thread waiting on ready"},
		{Pending{Name: "w", Op: syncAt(trace.Lock, "table", trace.Str("write"))}, "w will lock table for writing"},
		{Pending{Name: "r", Op: syncAt(trace.TryLock, "table", trace.Str("read"))}, "r will try to lock table for reading"},
		{Pending{Name: "w", Op: syncAt(trace.Unlock, "table", trace.Value{})}, "w will unlock table"},
		{Pending{Name: "w", Op: syncAt(trace.BarrierWait, "gate", trace.Value{})}, "w will wait at gate"},
		{Pending{Name: "w", Op: syncAt(trace.SemAcquire, "slots", trace.Value{})}, "w will acquire a permit of slots"},
		{Pending{Name: "w", Op: syncAt(trace.SemRelease, "slots", trace.Value{})}, "w will release a permit of slots"},
		{Pending{Name: "w", Op: syncAt(trace.SemTry, "slots", trace.Value{})}, "w will try to acquire a permit of slots"},
		{Pending{Name: "w", Op: syncAt(trace.Park, "", trace.Value{})}, "w will park until it is unparked"},
		{Pending{Name: "main", Op: syncAt(trace.Unpark, "w", trace.Value{})}, "main will unpark w"},
		{Pending{Name: "w", Op: syncAt(trace.Once, "config", trace.Value{})}, "w will call once config"},
	}
	for _, tc := range cases {
		if got := opText(tc.p); got != tc.want {
			t.Errorf("opText(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
	var d trace.Choice
	Describe(&d, &Choice{N: 3, Current: 1, Runnable: []Pending{cases[0].p, cases[4].p}}, "0*3")
	if d.N != 3 || d.Current != 1 || d.Schedule != "0*3" || len(d.Runnable) != 2 ||
		d.Runnable[0].Next.K != "set" || d.Runnable[0].Next.V == nil || *d.Runnable[0].Next.V != trace.Int(42) ||
		d.Runnable[1].Next.K != "" || d.Runnable[1].Next.V != nil {
		t.Errorf("Describe() = %+v, want n 3, current 1, a set of 42 and a start with no value", d)
	}
}

// TestPickTextsOfSyncSteps plays stolen-wakeup's first picks: ann locks
// m, finds no item and is about to wait on the condvar, and main is about
// to notify it; once notified, it is about to lock m again. Each says
// so, not "run its next lines of code".
func TestPickTextsOfSyncSteps(t *testing.T) {
	var evs []trace.Event
	// ann runs to its wait; main spawns bob, locks m, adds the item,
	// notifies and unlocks m: ann, woken, would take m back.
	p := &scriptedPerson{picks: picks(1, 1, 1, 1, 0, 0, 0, 0, 0), events: &evs}
	pc, err := NewPickChooser("", p)
	if err != nil {
		t.Fatal(err)
	}
	src := lib(t, "stolen-wakeup.star")
	RunWith(context.Background(), Request{Source: src, Mode: trace.ModeSim}, Options{Chooser: pc},
		func(b []trace.Event) { evs = append(evs, b...) })
	var texts []string
	for _, c := range p.asked {
		for _, r := range c.Runnable {
			texts = append(texts, r.Text)
		}
	}
	wait, notify := lineOf(t, src, "ready.wait(m)"), lineOf(t, src, "ready.notify_one()")
	for _, want := range []string{
		fmt.Sprintf("ann will wait on ready, letting go of m (line %d)", wait),
		fmt.Sprintf("main will notify one thread waiting on ready (line %d)", notify),
		fmt.Sprintf("ann will wake up from ready and lock m again (line %d)", wait),
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("choices' texts = %q, want one to be %q", texts, want)
		}
	}
}

// lineOf returns the number of the first line of src's script that
// holds code, past the notes and the Rust listing, so that a test follows
// the scenario as its notes grow.
func lineOf(t *testing.T, src, code string) int {
	t.Helper()
	script := false
	for i, line := range strings.Split(src, "\n") {
		script = script || strings.HasPrefix(line, "def ")
		if script && strings.Contains(line, code) {
			return i + 1
		}
	}
	t.Fatalf("no line holds %q", code)
	return 0
}
