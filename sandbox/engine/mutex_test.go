package engine

import (
	"slices"
	"testing"

	"interleave/sandbox/trace"
)

func TestMutex(t *testing.T) {
	runCases(t, []runCase{
		{name: "lock unlock try_lock", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    m.lock()
    check(m.try_lock() == False, "held")
    m.unlock()
    check(m.try_lock() == True, "free")
    m.unlock()
    check(m.name == "m", "name")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			got := kinds(evs, 0)
			want := []string{"start", "lock", "acquired", "trylock", "check", "unlock", "trylock", "check", "unlock", "check", "end"}
			if !slices.Equal(got, want) {
				t.Errorf("main's events = %v, want %v", got, want)
			}
		}},
		{name: "waiter gets the lock", want: trace.StatusOK, src: mainOf(`
    m = mutex("m")
    c = cell("c")
    m.lock()
    def w():
        m.lock()
        c.set(1)
        m.unlock()
    h = spawn(w, name = "w")
    sleep(5)
    check(c.get() == 0, "waiting")
    m.unlock()
    h.join()
    check(c.get() == 1, "done")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			got := kinds(evs, 1)
			want := []string{"start", "lock", "acquired", "set", "unlock", "end"}
			if !slices.Equal(got, want) {
				t.Errorf("w's events = %v, want %v", got, want)
			}
		}},
		{name: "unlock by non-owner panics the thread", want: trace.StatusPanic,
			msg: "join: thread intruder panicked at line 6: unlock of mutex m by thread intruder, but thread main holds it", src: mainOf(`
    m = mutex("m")
    m.lock()
    def w():
        m.unlock()
    spawn(w, name = "intruder").join()
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
				e, ok := find(evs, trace.Panic, "")
				if !ok || e.Th != 1 || e.V.Str != "unlock of mutex m by thread intruder, but thread main holds it" {
					t.Errorf("panic event = %+v, want intruder's unlock error", e)
				}
				if res.Threads[1].State != "panicked" {
					t.Errorf("intruder state = %q, want panicked", res.Threads[1].State)
				}
			}},
		{name: "unlock of an unlocked mutex in main", want: trace.StatusPanic, msg: "line 4, column 5: unlock of mutex m by thread main, but it is not locked", src: mainOf(`
    m = mutex("m")
    m.unlock()
`)},
	})
}
