package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"interleave/limits"
	"interleave/sandbox/trace"
)

func TestLimits(t *testing.T) {
	runCases(t, []runCase{
		{name: "threads", want: trace.StatusLimit, msg: "thread limit reached: at most 64 threads in os mode", modes: []trace.Mode{trace.ModeOS}, src: mainOf(`
    def f():
        sleep(50)
    for i in range(100):
        spawn(f)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if len(res.Threads) != 64 {
				t.Errorf("threads = %d, want 64", len(res.Threads))
			}
		}},
		{name: "threads", want: trace.StatusLimit, msg: "thread limit reached: at most 5 threads in", modes: []trace.Mode{trace.ModeGreen, trace.ModeSim}, limits: limits.Limits{GreenThreads: 5}, src: mainOf(`
    def f():
        pass
    for i in range(10):
        spawn(f)
`)},
		{name: "events", want: trace.StatusOK, limits: limits.Limits{Events: 100}, src: mainOf(`
    c = cell("c")
    for i in range(1000):
        c.add(1)
    check(c.get() == 1000, "the run goes on")
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if len(evs) != 100 || res.Stats.Events != 100 || res.Stats.Dropped != 904 {
				t.Errorf("emitted %d, Stats %+v; want 100 events and 904 dropped", len(evs), res.Stats)
			}
		}},
		{name: "steps", want: trace.StatusLimit, msg: "step limit reached: at most 50000 Starlark steps", limits: limits.Limits{Steps: 50000}, src: mainOf(`
    def spin():
        while True:
            pass
    spawn(spin)
    spawn(spin)
    x = 0
    while True:
        x += 1
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if res.Stats.Steps < 50000-3*stepChunk || res.Stats.Steps > 50000 {
				t.Errorf("Stats.Steps = %d, want about 50000", res.Stats.Steps)
			}
		}},
		{name: "steps at the top level", want: trace.StatusLimit, msg: "step limit reached: at most 50000", limits: limits.Limits{Steps: 50000}, src: `
def spin():
    x = 0
    for i in range(1000000):
        x += i
spin()
def main():
    pass
`},
		{name: "output", want: trace.StatusLimit, msg: "output limit reached: at most 100 bytes", limits: limits.Limits{Output: 100}, src: mainOf(`
    for i in range(100):
        print("line", i)
`), check: func(t *testing.T, res *trace.Result, evs []trace.Event) {
			if len(res.Output) != 100 {
				t.Errorf("len(Output) = %d, want 100", len(res.Output))
			}
		}},
	})
}

func TestCancel(t *testing.T) {
	src := mainOf(`
    def spin():
        while True:
            yield_now()
    def sleeper():
        sleep(60000)
    m = mutex("m")
    m.lock()
    def locker():
        m.lock()
    spawn(spin)
    spawn(sleeper)
    spawn(locker)
    c = channel("c")
    c.recv()
`)
	for _, mode := range allModes {
		for _, c := range []struct {
			name   string
			ctx    func() (context.Context, context.CancelFunc)
			status trace.Status
			msg    string
		}{
			{"stop", func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}, trace.StatusStopped, "stopped"},
			{"timeout", func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			}, trace.StatusTimeout, "timeout: the run took longer than its time limit"},
		} {
			t.Run(c.name+"/"+string(mode), func(t *testing.T) {
				ctx, cancel := c.ctx()
				defer cancel()
				start := time.Now()
				n := 0
				res := Run(ctx, Request{Source: src, Mode: mode}, func(b []trace.Event) { n += len(b) })
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("Run took %v after the context ended, want it prompt", took)
				}
				if res.Status != c.status || !strings.Contains(res.Message, c.msg) {
					t.Errorf("Run = %v (%s), want %v", res.Status, res.Message, c.status)
				}
				if mode == trace.ModeSim {
					return // the main thread blocks on recv: a deadlock with spin yielding forever? no: spin keeps running
				}
				for _, th := range res.Threads {
					if th.State != "cutoff" && th.State != "blocked" {
						t.Errorf("thread %s state = %q, want cutoff or blocked", th.Name, th.State)
					}
				}
			})
		}
	}
}

// TestProcsCap checks green mode's procs against the one default and the
// one cap, limits.DefaultProcs and limits.MaxProcs, which the server and
// the command line check too.
func TestProcsCap(t *testing.T) {
	tests := []struct {
		procs, want int
	}{
		{0, limits.DefaultProcs},
		{1, 1},
		{limits.MaxProcs, limits.MaxProcs},
		{limits.MaxProcs + 1, limits.MaxProcs},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.procs), func(t *testing.T) {
			res, _ := collect(t, Request{Source: mainOf("    pass\n"), Mode: trace.ModeGreen, Procs: tt.procs})
			if res.Status != trace.StatusOK || res.Procs != tt.want {
				t.Errorf("Run(procs %d) = %s, procs %d, want ok, %d", tt.procs, res.Status, res.Procs, tt.want)
			}
		})
	}
}
