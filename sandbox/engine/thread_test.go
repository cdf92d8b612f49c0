package engine

import (
	"slices"
	"testing"

	"interleave/sandbox/trace"
)

// threadCases are TestThreads' runs.
var threadCases = []runCase{
	{name: "spawn and join", want: trace.StatusOK, src: mainOf(`
    def f(a, b):
        return a + b
    h = spawn(f, 2, 3, name = "adder")
    check(h.name == "adder", "name")
    check(h.id == 1, "id")
    check(h.join() == 5, "join returns the value")
    g = spawn(f, "x", "y")
    check(g.name == "thread-2", "default name")
    check(g.join() == "xy", "second")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		sp, _ := find(evs, trace.Spawn, "adder")
		if sp.Th != 0 || sp.V != trace.Int(1) || sp.Line == 0 {
			t.Errorf("spawn event = %+v, want on main with V=1 and a line", sp)
		}
		if got, want := kinds(evs, 1), []string{"start", "end"}; !slices.Equal(got, want) {
			t.Errorf("adder's events = %v, want %v", got, want)
		}
		j, _ := find(evs, trace.Joined, "adder")
		if j.V != trace.Int(5) {
			t.Errorf("joined event = %+v, want V=5", j)
		}
		want := []trace.Thread{
			{ID: 0, Name: "main", State: "ended"},
			{ID: 1, Name: "adder", State: "ended", Events: 2},
			{ID: 2, Name: "thread-2", State: "ended", Events: 2},
		}
		if len(res.Threads) != len(want) {
			t.Fatalf("Threads = %+v, want %+v", res.Threads, want)
		}
		for i, w := range want[1:] {
			if res.Threads[i+1] != w {
				t.Errorf("Threads[%d] = %+v, want %+v", i+1, res.Threads[i+1], w)
			}
		}
	}},
	{name: "spawn without join is cut off", want: trace.StatusOK, src: mainOf(`
    def forever():
        while True:
            yield_now()
    spawn(forever, name = "looper")
    sleep(2)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		e, ok := find(evs, trace.Cutoff, "")
		if !ok || e.Th != 1 || e.V != trace.Str("main returned") {
			t.Errorf("cutoff event = %+v, want one on looper", e)
		}
		if res.Threads[1].State != "cutoff" {
			t.Errorf("looper state = %q, want cutoff", res.Threads[1].State)
		}
		if evs[len(evs)-1].K != trace.Cutoff {
			t.Errorf("last event = %v, want cutoff", evs[len(evs)-1].K)
		}
	}},
	{name: "a thread panic surfaces through join", want: trace.StatusPanic,
		msg: "main panicked: line 6, column 5: join: thread bad panicked at line 4: boom.", src: mainOf(`
    def bad():
        fail("boom")
    h = spawn(bad, name = "bad")
    h.join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			p, _ := find(evs, trace.Panic, "")
			if p.Th != 1 || p.V != trace.Str("boom") || p.Line != 4 {
				t.Errorf("panic event = %+v, want bad's at line 4", p)
			}
			if res.Threads[1].State != "panicked" || res.Threads[1].Panic != "boom" {
				t.Errorf("bad = %+v, want panicked with boom", res.Threads[1])
			}
		}},
	{name: "a thread panic without join does not fail the run", want: trace.StatusOK, msg: "1 thread panicked", src: mainOf(`
    c = channel("c", capacity = 0)
    def bad():
        c.send(1)
        x = 1 // 0
    spawn(bad, name = "bad")
    c.recv()
    sleep(100)
`)},
	{name: "a runtime error in a thread is a panic", want: trace.StatusOK, src: mainOf(`
    c = channel("c", capacity = 0)
    def bad():
        c.send(1)
        x = [1][5]
    h = spawn(bad, name = "bad")
    c.recv()
    sleep(100)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if p, _ := find(evs, trace.Panic, ""); p.V.Str != "list index 5 out of range [-1:0]" {
			t.Errorf("panic = %q", p.V.Str)
		}
	}},
	{name: "move semantics name the thread", want: trace.StatusPanic,
		msg: "cannot append to list: it was moved into thread worker-1 by spawn (like Rust's move); copy it first with list(items)",
		src: mainOf(`
    items = [1, 2]
    def w(xs):
        return len(xs)
    h = spawn(w, items, name = "worker-1")
    items.append(3)
`)},
	{name: "move through a closure", want: trace.StatusPanic,
		msg: "cannot insert into dict: it was moved into thread reader by spawn",
		src: mainOf(`
    seen = {}
    def r():
        return len(seen)
    spawn(r, name = "reader")
    seen["x"] = 1
`)},
	{name: "moved value mutated in the thread", want: trace.StatusOK,
		src: mainOf(`
    out = []
    c = channel("c", capacity = 0)
    def w():
        c.send(1)
        out.append(1)
    spawn(w, name = "w1")
    c.recv()
    sleep(100)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			p, _ := find(evs, trace.Panic, "")
			want := "cannot append to list: it was moved into thread w1 by spawn (like Rust's move); copy it first with list(out)"
			if p.V.Str != want {
				t.Errorf("panic = %q, want %q", p.V.Str, want)
			}
		}},
	{name: "top-level values are frozen", want: trace.StatusPanic, msg: "create it inside main", src: `
shared = []
def main():
    shared.append(1)
`},
	{name: "a copy is fine", want: trace.StatusOK, src: mainOf(`
    items = [1, 2]
    def w(xs):
        return len(xs)
    h = spawn(w, items)
    mine = list(items)
    mine.append(3)
    check(h.join() == 2, "len")
`)},
	{name: "spawn needs a function", want: trace.StatusError, msg: "spawn: the first argument must be a function, not int", src: mainOf(`
    spawn(1)
`)},
	{name: "spawn at top level", want: trace.StatusError, msg: "exist only while main runs", src: `
h = spawn(print)
def main():
    pass
`},
}

func TestThreads(t *testing.T) {
	runCases(t, threadCases)
}
