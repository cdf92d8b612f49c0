package sandbox_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
)

// hostile is one script a stranger might run, and how its run must end.
type hostile struct {
	name       string
	src        string
	wantStatus trace.Status
	wantMsg    string // in the result's message; "a|b" for either
	check      func(t *testing.T, res *trace.Result, evs []trace.Event)
}

var hostiles = []hostile{
	{name: "infinite loop without builtins", src: "def main():\n    while True:\n        pass\n",
		wantStatus: trace.StatusLimit, wantMsg: "step"},
	{name: "infinite loop of builtins", src: "def main():\n    c = cell(\"c\")\n    while True:\n        c.add(1)\n",
		wantStatus: trace.StatusLimit, wantMsg: "step"},
	{name: "native busy work forever", src: "def main():\n    def burn():\n        while True:\n            work(1000)\n    spawn(burn)\n    burn()\n",
		wantStatus: trace.StatusLimit, wantMsg: "CPU time limit of 3 s"},
	{name: "thread bomb", src: "def main():\n    def f():\n        sleep(60000)\n    while True:\n        spawn(f)\n",
		wantStatus: trace.StatusLimit, wantMsg: "thread"},
	{name: "string doubling", src: "def main():\n    s = \"x\"\n    for i in range(64):\n        s = s + s\n",
		wantStatus: trace.StatusLimit, wantMsg: "memory limit of 64 MiB"},
	// Near its 64 MiB the child's collector and the kernel's reclaim can
	// spend the 3 s of CPU first on a loaded machine: either limit ends it.
	{name: "list doubling", src: "def main():\n    l = [0]\n    for i in range(64):\n        l = l + l\n",
		wantStatus: trace.StatusLimit, wantMsg: "memory limit of 64 MiB|CPU time limit of 3 s"},
	{name: "deep recursion", src: "def f(n):\n    return f(n + 1) + 1\ndef main():\n    f(0)\n",
		wantStatus: trace.StatusLimit, wantMsg: "recursion"},
	{name: "1e7 prints", src: "def main():\n    for i in range(10000000):\n        print(i)\n",
		wantStatus: trace.StatusLimit, wantMsg: "output"},
	{name: "event flood", src: "def main():\n    c = cell(\"c\")\n    for i in range(120000):\n        c.get()\n",
		wantStatus: trace.StatusOK, check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if res.Stats.Dropped == 0 || len(evs) > 100000 {
				t.Errorf("flood kept %d events and dropped %d, want at most 100000 kept and the rest dropped", len(evs), res.Stats.Dropped)
			}
		}},
	{name: "sleeping forever", src: "def main():\n    while True:\n        sleep(60000)\n",
		wantStatus: trace.StatusTimeout, wantMsg: "wall-clock limit of 2s"},
	{name: "deadlock beside a sleeper", src: `def main():
    a = mutex("a")
    b = mutex("b")
    ready = cell("ready", 0)
    def take(first, second):
        first.lock()
        ready.add(1)
        while ready.get() < 2:
            sleep(1)
        second.lock()
    def sleeper():
        while True:
            sleep(60000)
    spawn(sleeper, name = "sleeper")
    x = spawn(take, a, b, name = "one")
    spawn(take, b, a, name = "two")
    x.join()
`, wantStatus: trace.StatusDeadlock, wantMsg: "held by"},
	{name: "script of 10 MiB", src: "def main():\n    pass\n#" + strings.Repeat("x", 10<<20),
		wantStatus: trace.StatusLimit, wantMsg: "script size limit"},
	{name: "invalid UTF-8", src: "def main():\n    print(\"\xff\xfe\")\n",
		wantStatus: trace.StatusError, wantMsg: "Line 2, column 12: the script is not valid UTF-8"},
	{name: "sleep of inf", src: "def main():\n    sleep(float(\"inf\"))\n",
		wantStatus: trace.StatusError, wantMsg: "sleep(ms): ms must be a number from 0 to 60000, not +inf"},
	{name: "work of 1e300", src: "def main():\n    work(1e300)\n",
		wantStatus: trace.StatusError, wantMsg: "work(us): us must be a number from 0 to 10000000, not 1e+300"},
	{name: "one huge string", src: "def main():\n    s = \"x\" * 1000000000\n",
		wantStatus: trace.StatusLimit, wantMsg: "memory limit of 64 MiB"},
	{name: "one huge list", src: "def main():\n    l = [0] * 100000000\n",
		wantStatus: trace.StatusLimit, wantMsg: "memory limit of 64 MiB"},
	{name: "one print of 17 MiB", src: "def main():\n    print(\"p\" * (17 << 20))\n",
		wantStatus: trace.StatusLimit, wantMsg: "output limit", check: clippedEvents},
	{name: "one value of 17 MiB", src: "def main():\n    c = cell(\"c\")\n    c.set(\"v\" * (17 << 20))\n",
		wantStatus: trace.StatusOK, check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			clippedEvents(t, res, evs)
			if v := res.Cells[0].Value.Str; !strings.HasSuffix(v, "… [17825792 bytes in all]") || len(v) > trace.MaxText {
				t.Errorf("cell value of %d bytes ends %q, want at most %d ending with the length it had", len(v), v[max(0, len(v)-40):], trace.MaxText)
			}
		}},
	{name: "twenty thousand long checks", src: "def main():\n    m = \"m\" * 4096\n    for i in range(20000):\n        check(True, m)\n",
		wantStatus: trace.StatusOK, wantMsg: "The result lists the first", check: clippedEvents},
	{name: "recursive spawns", src: "def main():\n    def fib(n):\n        if n < 2:\n            return n\n        return spawn(fib, n - 1).join() + spawn(fib, n - 2).join()\n    check(fib(6) == 8, \"fib(6) by spawns is 8\")\n",
		wantStatus: trace.StatusOK},
	// As for the thread bomb, the script's thread limit or the cgroup's
	// OS threads may come first: under load the runtime makes more
	// threads of its own.
	{name: "self-spawning bomb", src: "def main():\n    def bomb():\n        spawn(bomb)\n        sleep(60000)\n    bomb()\n",
		wantStatus: trace.StatusLimit, wantMsg: "thread"},
	{name: "main spins forever beside spinning workers", src: `def main():
    def spin():
        x = 0
        while True:
            x += 1
    for i in range(3):
        spawn(spin)
    while True:
        sleep(5)
`, wantStatus: trace.StatusLimit, wantMsg: "step"},
}

// clippedEvents checks that no event carries a text over trace.MaxText.
func clippedEvents(t *testing.T, res *trace.Result, evs []trace.Event) {
	t.Helper()
	for _, e := range evs {
		if len(e.V.Str) > trace.MaxText || len(e.Obj) > trace.MaxText {
			t.Fatalf("event %d carries %d and %d bytes, want at most %d", e.Seq, len(e.Obj), len(e.V.Str), trace.MaxText)
		}
	}
}

// hostileRunner runs with small limits. The wall clock is short only for
// the scripts meant to reach it, so that the others never depend on how
// busy the machine is.
// With spawner its children are started as the server's are, by a
// spawner process; without, the Runner forks them itself.
func hostileRunner(t *testing.T, timeout time.Duration, spawner bool) *sandbox.Runner {
	t.Helper()
	r, err := sandbox.New(sandbox.Config{
		Exe: sandboxtest.Binary(t),
		Limits: limits.Limits{Wall: timeout, CPUSeconds: 3, MemoryBytes: 64 << 20, Threads: 64,
			Steps: 3_000_000, Events: 100_000},
		Spawner: spawner,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func runHostile(t *testing.T, quick, patient *sandbox.Runner, h hostile) {
	t.Helper()
	r := patient
	if h.wantStatus == trace.StatusTimeout {
		r = quick
	}
	var evs []trace.Event
	res, _ := r.Run(context.Background(), engine.Request{Scenario: h.name, Source: h.src, Mode: trace.ModeOS},
		func(b []trace.Event) { evs = append(evs, b...) })
	if res.Status != h.wantStatus || !containsAny(res.Message, h.wantMsg) {
		t.Errorf("Run(%s) = %s %q, want %s with %q", h.name, res.Status, res.Message, h.wantStatus, h.wantMsg)
	}
	if res.Stats.Events != int64(len(evs)) && h.wantStatus != trace.StatusOK {
		t.Errorf("Run(%s) delivered %d events but counts %d: the partial timeline must be kept", h.name, len(evs), res.Stats.Events)
	}
	if h.check != nil {
		h.check(t, res, evs)
	}
}

// settle waits for goroutines to wind down after runs and returns the
// count, so that a leak shows as a count that does not come back.
func settle(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(20 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

func TestHostile(t *testing.T) {
	// The quick runner forks its children, the patient one has them
	// started by its spawner, as a server does.
	quick, patient := hostileRunner(t, 2*time.Second, false), hostileRunner(t, time.Minute, true)
	exe := sandboxtest.Binary(t)
	// A first run starts the spawner, whose reader lasts as long as it.
	runHostile(t, quick, patient, hostile{name: "a plain run before", src: "def main():\n    pass\n", wantStatus: trace.StatusOK})
	before := runtime.NumGoroutine()
	for _, h := range hostiles {
		t.Run(h.name, func(t *testing.T) {
			runHostile(t, quick, patient, h)
			if n := sandboxtest.Children(t, exe); n != 0 {
				t.Errorf("%d children alive after %s, want 0", n, h.name)
			}
		})
	}
	// The runner still works after all of that.
	runHostile(t, quick, patient, hostile{name: "a plain run after", src: "def main():\n    print(\"still here\")\n", wantStatus: trace.StatusOK})
	if n := settle(before); n > before {
		t.Errorf("%d goroutines after the suite, %d before: something leaked", n, before)
	}
}

func TestHostileAllAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("50 hostile runs at once take a while")
	}
	r := hostileRunner(t, 2*time.Second, true)
	exe := sandboxtest.Binary(t)
	if res, _ := r.Run(context.Background(), engine.Request{Source: "def main():\n    pass\n", Mode: trace.ModeSim}, nil); res.Status != trace.StatusOK {
		t.Fatalf("a first plain run = %s %q, want ok", res.Status, res.Message)
	}
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for i := range 50 {
		h := hostiles[i%len(hostiles)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(fmt.Sprintf("%02d %s", i, h.name), func(t *testing.T) {
				// Fifty runs on two cores share the CPU, so the 2 s wall
				// clock may now come first; any other end is a failure.
				res, _ := r.Run(context.Background(), engine.Request{Source: h.src, Mode: trace.ModeOS}, nil)
				if res.Status != h.wantStatus && res.Status != trace.StatusTimeout {
					t.Errorf("Run(%s) under load = %s %q, want %s or timeout", h.name, res.Status, res.Message, h.wantStatus)
				}
			})
		}()
	}
	wg.Wait()
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children alive after 50 hostile runs, want 0", n)
	}
	if n := settle(before); n > before {
		t.Errorf("%d goroutines after 50 hostile runs, %d before: something leaked", n, before)
	}
}

// containsAny reports whether msg holds one of want's "|"-separated parts.
func containsAny(msg, want string) bool {
	for _, w := range strings.Split(want, "|") {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}
