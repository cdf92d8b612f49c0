package engine

import (
	"testing"

	"go.starlark.net/starlark"

	"interleave/limits"
	"interleave/sandbox/trace"
)

func TestRecursiveSpawns(t *testing.T) {
	runCases(t, []runCase{
		{name: "fib by spawns", want: trace.StatusOK, src: mainOf(`
    def fib(n):
        if n < 2:
            return n
        a = spawn(fib, n - 1)
        b = spawn(fib, n - 2)
        return a.join() + b.join()
    check(fib(6) == 8, "fib(6) by spawns is 8")
`), limits: limits.Limits{Threads: 200, GreenThreads: 200}},
		{name: "a tuple holding a recursive function is moved", want: trace.StatusOK, src: mainOf(`
    def count(n):
        return 0 if n == 0 else 1 + spawn(count, n - 1).join()
    def use(pair):
        return pair[0](pair[1])
    check(spawn(use, (count, 4)).join() == 4, "count(4)")
`)},
		{name: "a list holding a recursive function is moved", want: trace.StatusPanic, msg: "cannot append to list: it was moved into thread", src: mainOf(`
    def count(n):
        return 0 if n == 0 else 1 + spawn(count, n - 1).join()
    fns = [count]
    def use(l):
        return l[0](3)
    check(spawn(use, fns).join() == 3, "count(3)")
    fns.append(count)
`)},
		{name: "a thread returns a recursive function", want: trace.StatusOK, src: mainOf(`
    def make():
        def f(n):
            return 1 if n == 0 else n * f(n - 1)
        return f
    check(spawn(make).join()(5) == 120, "5!")
`)},
		{name: "self-spawning bomb", want: trace.StatusLimit, msg: "thread limit reached: at most 100 threads", limits: limits.Limits{Threads: 100, GreenThreads: 100}, src: mainOf(`
    def bomb():
        spawn(bomb)
        sleep(60000)
    bomb()
`)},
	})
}

// TestFreezeFlags proves that freeze still finds Starlark's frozen flags:
// an upgrade that moves them would make freeze fall back to Starlark's
// own Freeze, which loops on recursive nested functions.
func TestFreezeFlags(t *testing.T) {
	l := starlark.NewList(nil)
	d := starlark.NewDict(0)
	s := starlark.NewSet(0)
	for _, c := range []struct {
		v    starlark.Value
		path []string
	}{{l, listFrozen}, {d, hashFrozen}, {s, hashFrozen}} {
		if frozenFlag(c.v, c.path) == nil {
			t.Fatalf("frozenFlag(%s, %v) = nil, want Starlark's frozen flag", c.v.Type(), c.path)
		}
	}
	inner := starlark.NewList([]starlark.Value{starlark.MakeInt(1)})
	if err := d.SetKey(starlark.String("k"), inner); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(starlark.Tuple{d, s}); err != nil {
		t.Fatal(err)
	}
	freeze(l)
	for _, c := range []struct {
		name string
		err  error
	}{
		{"list", l.Append(starlark.None)},
		{"dict", d.SetKey(starlark.String("j"), starlark.None)},
		{"set", s.Insert(starlark.MakeInt(1))},
		{"nested list", inner.Append(starlark.None)},
	} {
		if c.err == nil {
			t.Errorf("freeze(list) left its %s mutable, want it frozen", c.name)
		}
	}
}
