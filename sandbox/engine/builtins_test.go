package engine

import (
	"slices"
	"strings"
	"testing"

	"interleave/sandbox/trace"
)

// builtinCases are TestBuiltins' runs.
var builtinCases = []runCase{
	{name: "sleep", want: trace.StatusOK, src: mainOf(`
    sleep(3)
    sleep(0.5)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if got, want := kinds(evs, 0), []string{"start", "sleep", "wake", "sleep", "wake", "end"}; !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		if d := evs[2].T - evs[1].T; d < 3e6 {
			t.Errorf("sleep(3) took %d ns, want at least 3 ms", d)
		}
		if evs[1].V != trace.Int(3) || evs[3].V != trace.Float(0.5) {
			t.Errorf("sleep values = %v %v, want 3 and 0.5", evs[1].V, evs[3].V)
		}
	}},
	{name: "work", want: trace.StatusOK, src: mainOf(`
    work(2000)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		// A loaded machine may set the thread aside: runnable events
		// say when, between work and worked.
		evs = slices.DeleteFunc(slices.Clone(evs), func(e trace.Event) bool { return e.K == trace.Runnable })
		if got, want := kinds(evs, 0), []string{"start", "work", "worked", "end"}; !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
		if d := evs[2].T - evs[1].T; d < 2e6 {
			t.Errorf("work(2000) took %d ns, want at least 2 ms", d)
		}
	}},
	{name: "yield_now", want: trace.StatusOK, src: mainOf(`
    yield_now()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if got, want := kinds(evs, 0), []string{"start", "yield", "end"}; !slices.Equal(got, want) {
			t.Fatalf("events = %v, want %v", got, want)
		}
	}},
	{name: "print", want: trace.StatusOK, src: mainOf(`
    print("hello", 42)
    def w():
        print("from w")
    spawn(w, name = "w").join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if res.Output != "hello 42\nfrom w\n" {
			t.Errorf("Output = %q", res.Output)
		}
		p, _ := find(evs, trace.Print, "")
		if p.V != trace.Str("hello 42") || p.Th != 0 || p.Line != 3 {
			t.Errorf("print event = %+v", p)
		}
	}},
	{name: "checks", want: trace.StatusFailed, msg: "2 of 3 checks failed: first", src: mainOf(`
    check(1 == 2, "first")
    check(True, "second")
    def w():
        check(False, "third")
    spawn(w).join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		want := []trace.CheckResult{{Msg: "first", Line: 3}, {Msg: "second", OK: true, Line: 4}, {Msg: "third", Th: 1, Line: 6}}
		if !slices.Equal(res.Checks, want) {
			t.Errorf("Checks = %+v, want %+v", res.Checks, want)
		}
		c, _ := find(evs, trace.Check, "failed")
		if c.V != trace.Str("first") {
			t.Errorf("check event = %+v", c)
		}
	}},
	{name: "fail in main", want: trace.StatusPanic, msg: "main panicked: line 3, column 5: it broke.", src: mainOf(`
    fail("it", "broke")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if res.Error == nil || res.Error.Line != 3 || res.Error.Col != 5 {
			t.Errorf("Error = %+v, want line 3 column 5", res.Error)
		}
		if res.Threads[0].State != "panicked" {
			t.Errorf("main state = %q", res.Threads[0].State)
		}
	}},
	{name: "param", want: trace.StatusOK, params: map[string]any{"n": "5"}, src: `
params = {"n": param(2, min = 1, max = 9), "s": param("x")}
def main(n, s):
    check(n == 5 and s == "x", "params arrive")
`, check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
		if res.Params["n"] != int64(5) || res.Params["s"] != "x" {
			t.Errorf("Params = %v", res.Params)
		}
	}},
}

func TestBuiltins(t *testing.T) {
	runCases(t, builtinCases)
}

func TestSleepAndWorkRanges(t *testing.T) {
	var cases []runCase
	for _, c := range []struct{ call, want string }{
		{`sleep(float("inf"))`, "sleep(ms): ms must be a number from 0 to 60000, not +inf"},
		{`sleep(float("nan"))`, "sleep(ms): ms must be a number from 0 to 60000, not nan"},
		{`sleep(1e300)`, "sleep(ms): ms must be a number from 0 to 60000, not 1e+300"},
		{`sleep(-1)`, "sleep(ms): ms must be a number from 0 to 60000, not -1"},
		{`sleep(60001)`, "sleep(ms): ms must be a number from 0 to 60000, not 60001"},
		{`sleep("1")`, "sleep(ms): ms must be a number, not string"},
		{`work(float("inf"))`, "work(us): us must be a number from 0 to 10000000, not +inf"},
		{`work(float("nan"))`, "work(us): us must be a number from 0 to 10000000, not nan"},
		{`work(1e300)`, "work(us): us must be a number from 0 to 10000000, not 1e+300"},
		{`work(1000000000000000000000000000000)`, "work(us): us must be a number from 0 to 10000000, not 1000000000000000000000000000000"},
	} {
		cases = append(cases, runCase{name: c.call, want: trace.StatusError, msg: c.want, src: mainOf("    " + c.call + "\n")})
	}
	cases = append(cases, runCase{name: "the bounds themselves", modes: []trace.Mode{trace.ModeSim}, want: trace.StatusOK,
		src: mainOf("    sleep(0)\n    sleep(60000)\n    work(0)\n    work(10000000)\n")})
	runCases(t, cases)
}

// TestLongTextsClipped makes values, names and messages of 17 MiB, more
// than a frame holds: events and the result carry them clipped.
func TestLongTextsClipped(t *testing.T) {
	const marker = " bytes in all]" // after "… [N", N the length it had
	long := func(t *testing.T, what, s string) {
		t.Helper()
		if len(s) > 2*trace.MaxText || !strings.HasSuffix(s, marker) {
			t.Errorf("%s is %d bytes ending %q, want at most %d ending %q", what, len(s), s[max(0, len(s)-30):], 2*trace.MaxText, marker)
		}
	}
	events := func(t *testing.T, evs []trace.Event) {
		t.Helper()
		for _, e := range evs {
			if len(e.Obj) > trace.MaxText || len(e.V.Str) > trace.MaxText {
				t.Fatalf("event %d carries %d and %d bytes, want at most %d", e.Seq, len(e.Obj), len(e.V.Str), trace.MaxText)
			}
		}
	}
	runCases(t, []runCase{
		{name: "a panic", modes: []trace.Mode{trace.ModeSim}, want: trace.StatusPanic, msg: marker, src: mainOf(`
    fail("f" * (17 << 20))
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			events(t, evs)
			long(t, "the message", res.Message)
			long(t, "main's panic", res.Threads[0].Panic)
		}},
		{name: "a cell and a check", modes: []trace.Mode{trace.ModeSim}, want: trace.StatusOK, src: mainOf(`
    s = "c" * (17 << 20)
    c = cell(s, s)
    check(True, s)
    spawn(len, s, name = s).join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			events(t, evs)
			long(t, "the cell's name", res.Cells[0].Name)
			long(t, "the cell's value", res.Cells[0].Value.Str)
			long(t, "the check", res.Checks[0].Msg)
			long(t, "the thread's name", res.Threads[1].Name)
		}},
	})
}
