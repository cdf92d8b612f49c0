package engine

import (
	"testing"

	"interleave/limits"
	"interleave/sandbox/trace"
)

func TestCell(t *testing.T) {
	runCases(t, []runCase{
		{name: "get set add cas swap", want: trace.StatusOK, src: mainOf(`
    c = cell("c", 5)
    check(c.get() == 5, "initial")
    c.set(7)
    check(c.add(3) == 7, "add returns old")
    check(c.get() == 10, "after add")
    check(c.cas(10, 1) == True, "cas hit")
    check(c.cas(10, 2) == False, "cas miss")
    check(c.swap(9) == 1, "swap returns old")
    check(c.get() == 9, "after swap")
    check(c.name == "c", "name")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			want := []trace.Value{trace.Int(5), trace.Int(7), trace.Int(7), trace.Int(10), trace.Bool(true), trace.Bool(false), trace.Int(9), trace.Int(9)}
			var got []trace.Value
			for _, e := range evs {
				switch e.K {
				case trace.Get, trace.Set, trace.Add, trace.Cas, trace.Swap:
					if e.Obj != "c" || e.Line == 0 {
						t.Errorf("event %v: obj %q line %d, want obj c and a line", e.K, e.Obj, e.Line)
					}
					got = append(got, e.V)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("cell events = %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("cell event %d value = %v, want %v", i, got[i], want[i])
				}
			}
			if len(res.Cells) != 1 || res.Cells[0].Value != trace.Int(9) {
				t.Errorf("Cells = %v, want [c=9]", res.Cells)
			}
		}},
		{name: "cells in creation order", want: trace.StatusOK, src: mainOf(`
    b = cell("b", "x")
    a = cell("a")
    a.add(2.5)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			want := []trace.CellValue{{Name: "b", Value: trace.Str("x")}, {Name: "a", Value: trace.Float(2.5)}}
			if len(res.Cells) != 2 || res.Cells[0] != want[0] || res.Cells[1] != want[1] {
				t.Errorf("Cells = %v, want %v", res.Cells, want)
			}
		}},
		{name: "add of a string to an int", want: trace.StatusPanic, msg: "unknown binary op", src: mainOf(`
    c = cell("c")
    c.add("x")
`)},
		{name: "set with two arguments", want: trace.StatusError, msg: "c.set(v) takes 1 positional argument, got 2", src: mainOf(`
    c = cell("c")
    c.set(1, 2)
`)},
		{name: "a list in a cell is frozen", want: trace.StatusPanic, msg: "it was stored in cell box", src: mainOf(`
    xs = [1]
    c = cell("box", xs)
    xs.append(2)
`)},
	})
}

func TestLostUpdates(t *testing.T) {
	const workers = `
def main(threads, iterations, how):
    counter = cell("counter", 0)
    m = mutex("m")
    def worker():
        for _ in range(iterations):
            if how == "racy":
                v = counter.get()
                counter.set(v + 1)
            elif how == "add":
                counter.add(1)
            else:
                m.lock()
                v = counter.get()
                counter.set(v + 1)
                m.unlock()
    hs = [spawn(worker, name = "worker-%d" % i) for i in range(threads)]
    for h in hs:
        h.join()
    check(counter.get() == threads * iterations, "no update is lost")
`
	src := `params = {"threads": param(4), "iterations": param(10), "how": param("racy")}` + "\n" + workers
	few := limits.Limits{Events: 1000} // recording is not what this test measures
	runCases(t, []runCase{
		{name: "racy", modes: []trace.Mode{trace.ModeOS}, src: src, limits: few,
			params: map[string]any{"iterations": 100000}, want: trace.StatusFailed, msg: "check failed: no update is lost"},
		{name: "add", src: src, params: map[string]any{"iterations": 5000, "how": "add"}, want: trace.StatusOK, limits: few},
		{name: "mutex", src: src, params: map[string]any{"iterations": 2000, "how": "mutex"}, want: trace.StatusOK, limits: few},
	})
}
