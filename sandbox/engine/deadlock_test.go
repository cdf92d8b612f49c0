package engine

import (
	"strings"
	"testing"

	"interleave/sandbox/trace"
)

// cycleOf checks that a run deadlocked in the cycle want (lines aside).
func cycleOf(want ...trace.Wait) func(*testing.T, *trace.Result, []trace.Event) {
	return func(t *testing.T, res *trace.Result, evs []trace.Event) {
		t.Helper()
		if res.Deadlock == nil {
			t.Fatalf("Deadlock = nil, want a cycle")
		}
		got := res.Deadlock.Cycle
		if len(got) != len(want) {
			t.Fatalf("cycle = %+v, want %+v", got, want)
		}
		for i := range want {
			g := got[i]
			g.Line = 0
			if g != want[i] {
				t.Errorf("cycle[%d] = %+v, want %+v", i, g, want[i])
			}
		}
	}
}

// deadlockCases are TestDeadlock's runs, each ending in a deadlock or not.
var deadlockCases = []runCase{
	{name: "relock own mutex", want: trace.StatusDeadlock, msg: "deadlock: main waits for m, which it already holds",
		src: mainOf(`
    m = mutex("m")
    m.lock()
    m.lock()
`), check: cycleOf(trace.Wait{Th: 0, Thread: "main", Op: "lock", Obj: "m", Holder: 0, HolderName: "main"})},
	{name: "join self", want: trace.StatusDeadlock, msg: "deadlock: f waits to join itself", src: mainOf(`
    c = channel("c")
    def f():
        me = c.recv()
        me.join()
    h = spawn(f, name = "f")
    c.send(h)
    h.join()
`), check: cycleOf(trace.Wait{Th: 1, Thread: "f", Op: "join", Obj: "f", Holder: 1, HolderName: "f"})},
	{name: "abba with sleeps", want: trace.StatusDeadlock,
		msg: "deadlock: alpha waits for second, held by beta, which waits for first, held by alpha.",
		src: mainOf(abbaTake + `
    x = spawn(take, first, second, 50, name = "alpha")
    y = spawn(take, second, first, 100, name = "beta")
    x.join()
`), check: cycleOf(
			trace.Wait{Th: 1, Thread: "alpha", Op: "lock", Obj: "second", Holder: 2, HolderName: "beta"},
			trace.Wait{Th: 2, Thread: "beta", Op: "lock", Obj: "first", Holder: 1, HolderName: "alpha"},
		)},
	{name: "partial deadlock while a thread sleeps in a loop", want: trace.StatusDeadlock, msg: "alpha waits for second",
		src: mainOf(abbaTake + `
    def ticker():
        while True:
            sleep(1)
    spawn(ticker, name = "ticker")
    spawn(take, first, second, 50, name = "alpha")
    spawn(take, second, first, 100, name = "beta")
    while True:
        sleep(1)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if len(res.Deadlock.Cycle) != 2 {
				t.Errorf("cycle = %+v, want alpha and beta", res.Deadlock.Cycle)
			}
			if n := countKind(evs, trace.Cutoff); n != 4 {
				t.Errorf("cutoff events = %d, want 4 (every live thread)", n)
			}
		}},
	{name: "join cycle", want: trace.StatusDeadlock, msg: "waits to join", src: mainOf(`
    c = channel("handles")
    def a():
        other = c.recv()
        other.join()
    h = spawn(a, name = "a")
    c.send(h)
    h.join()
`)},
	{name: "everyone blocked on a channel", want: trace.StatusDeadlock,
		msg: "deadlock: every thread is blocked: main waits to join worker; worker waits to receive from channel \"jobs\"",
		src: mainOf(`
    jobs = channel("jobs")
    def worker():
        jobs.recv()
    h = spawn(worker, name = "worker")
    h.join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			c := res.Deadlock.Cycle
			if len(c) != 2 || c[1].Op != "recv" || c[1].Obj != "jobs" || c[1].Holder != -1 {
				t.Errorf("cycle = %+v, want main join and worker recv", c)
			}
			if res.Threads[1].State != "blocked" {
				t.Errorf("worker state = %q, want blocked", res.Threads[1].State)
			}
		}},
	{name: "lock held by a thread that ended", want: trace.StatusDeadlock, msg: "held by w, which ended without unlocking it",
		src: mainOf(`
    m = mutex("m")
    def w():
        m.lock()
    spawn(w, name = "w").join()
    m.lock()
`)},
}

func TestDeadlock(t *testing.T) {
	runCases(t, deadlockCases)
}

// TestDeadlockABBASim finds a seed among the first 100 whose interleaving
// deadlocks the canonical two-locks scenario.
func TestDeadlockABBASim(t *testing.T) {
	src := lib(t, "two-locks.star")
	for seed := int64(0); seed < 100; seed++ {
		res, _ := collect(t, Request{Scenario: "two-locks", Source: src, Mode: trace.ModeSim, Seed: seed})
		if res.Status != trace.StatusDeadlock {
			continue
		}
		names := map[string]bool{}
		for _, w := range res.Deadlock.Cycle {
			names[w.Thread], names[w.Obj], names[w.HolderName] = true, true, true
		}
		for _, want := range []string{"alpha", "beta", "first", "second"} {
			if !names[want] {
				t.Errorf("seed %d: cycle %+v does not name %s", seed, res.Deadlock.Cycle, want)
			}
		}
		t.Logf("seed %d deadlocks: %s", seed, res.Message)
		return
	}
	t.Fatalf("Run(two-locks) in sim mode never deadlocked over seeds 0..99")
}

// TestDeadlockABBAReal runs the two-locks scenario on real threads until
// the race goes the bad way.
func TestDeadlockABBAReal(t *testing.T) {
	src := lib(t, "two-locks.star")
	for _, mode := range []trace.Mode{trace.ModeOS, trace.ModeGreen} {
		t.Run(string(mode), func(t *testing.T) {
			deadlocks := 0
			for i := 0; i < 40 && deadlocks == 0; i++ {
				res, _ := collect(t, Request{Scenario: "two-locks", Source: src, Mode: mode, Params: map[string]any{"rounds": 1000}})
				switch res.Status {
				case trace.StatusDeadlock:
					deadlocks++
					if !strings.Contains(res.Message, "alpha") || !strings.Contains(res.Message, "beta") || len(res.Deadlock.Cycle) != 2 {
						t.Errorf("deadlock = %q %+v, want a cycle of alpha and beta", res.Message, res.Deadlock.Cycle)
					}
				case trace.StatusOK:
				default:
					t.Fatalf("Run(two-locks) = %v (%s), want deadlock or ok", res.Status, res.Message)
				}
			}
			if deadlocks == 0 {
				t.Errorf("Run(two-locks) in %s mode never deadlocked in 40 runs of 1000 rounds", mode)
			}
		})
	}
}

// abbaTake is main's start in the lock-order deadlocks: two mutexes and a
// function that takes them in the order given.
const abbaTake = `
    first = mutex("first")
    second = mutex("second")
    def take(a, b, pause):
        a.lock()
        sleep(pause)
        b.lock()`
