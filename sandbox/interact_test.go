package sandbox_test

import (
	"context"
	"testing"
	"time"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/sandboxtest"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// interactLog is what an interactive run told its person.
type interactLog struct {
	choices  []trace.Choice
	restarts []string
	events   int // events since the last restart
}

// interact runs req with answer deciding each choice; answer's false
// leaves the choice unanswered.
func interact(t *testing.T, r *sandbox.Runner, req engine.Request, idle time.Duration, answer func(c *trace.Choice) (trace.Pick, bool)) (*trace.Result, *interactLog) {
	t.Helper()
	picks := make(chan trace.Pick, 1)
	log := &interactLog{}
	res, err := r.Interact(context.Background(), req, func(b []trace.Event) { log.events += len(b) }, sandbox.Interaction{
		Picks: picks,
		Idle:  idle,
		OnChoice: func(c *trace.Choice) {
			log.choices = append(log.choices, *c)
			if p, ok := answer(c); ok {
				picks <- p
			}
		},
		OnRestart: func(s string) {
			log.restarts = append(log.restarts, s)
			log.events = 0
		},
	})
	if err != nil {
		t.Fatalf("Interact() error = %v", err)
	}
	return res, log
}

func TestInteract(t *testing.T) {
	exe := sandboxtest.Binary(t)
	cat, err := scenarios.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := cat.Get("two-locks")
	req := engine.Request{Scenario: sc.ID, Source: sc.Source, Mode: trace.ModeSim, Params: map[string]any{"rounds": 3}}
	deadlock := []int{0, 0, 1, 2, 1, 2, 1}
	for _, warm := range []int{0, 2} {
		r, err := sandbox.New(sandbox.Config{Exe: exe, Timeout: 20 * time.Second, Warm: warm})
		if err != nil {
			t.Fatal(err)
		}
		t.Run("undo then a deadlock/warm="+string(rune('0'+warm)), func(t *testing.T) {
			undone := false
			res, log := interact(t, r, req, time.Minute, func(c *trace.Choice) (trace.Pick, bool) {
				if c.N == 3 && !undone {
					undone = true
					return trace.Pick{Undo: true}, true
				}
				return trace.Pick{Th: deadlock[c.N]}, true
			})
			if res.Status != trace.StatusDeadlock || res.Schedule != "0*2.1.2.1.2.1" {
				t.Errorf("Interact() = %v %q, want deadlock by 0*2.1.2.1.2.1", res.Status, res.Schedule)
			}
			if len(log.restarts) != 1 || log.restarts[0] != "0*2" {
				t.Errorf("restarts = %q, want one replaying 0*2", log.restarts)
			}
			if n := len(log.choices); n != 9 || log.choices[4].N != 2 {
				t.Errorf("%d choices, the fifth at n=%d, want 9, the fifth back at n=2", n, log.choices[min(4, n-1)].N)
			}
			if int64(log.events) != res.Stats.Events {
				t.Errorf("events since the restart = %d, the result counts %d, want the same", log.events, res.Stats.Events)
			}
		})
		r.Close()
	}
	r := newRunner(t, exe, 20*time.Second)
	t.Run("idle", func(t *testing.T) {
		res, log := interact(t, r, req, 200*time.Millisecond, func(*trace.Choice) (trace.Pick, bool) { return trace.Pick{}, false })
		want := "stopped: no pick for 200ms; the run waited for you and was ended."
		if res.Status != trace.StatusStopped || res.Message != want || len(log.choices) != 1 {
			t.Errorf("Interact(no pick) = %v %q after %d choices, want stopped %q after 1", res.Status, res.Message, len(log.choices), want)
		}
	})
	t.Run("not sim", func(t *testing.T) {
		os := req
		os.Mode = trace.ModeOS
		res, _ := interact(t, r, os, time.Minute, func(*trace.Choice) (trace.Pick, bool) { return trace.Pick{}, false })
		if res.Status != trace.StatusError {
			t.Errorf("Interact(os mode) = %v, want error", res.Status)
		}
	})
	if n := sandboxtest.Children(t, exe); n != 0 {
		t.Errorf("%d children alive after the runs, want 0", n)
	}
}
