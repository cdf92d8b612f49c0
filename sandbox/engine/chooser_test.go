package engine

import (
	"context"
	"testing"

	"interleave/sandbox/trace"
)

// recordingChooser runs the lowest candidate and keeps a copy of every
// choice it saw.
type recordingChooser struct {
	seen []Choice
}

func (c *recordingChooser) Choose(ch *Choice) int {
	cp := *ch
	cp.Runnable = append([]Pending(nil), ch.Runnable...)
	cp.Steps = append([]Step(nil), ch.Steps...)
	c.seen = append(c.seen, cp)
	return ch.Runnable[0].Th
}

const twoWorkers = `def main():
    counter = cell("counter", 0)
    def worker():
        v = counter.get()
        counter.set(v + 1)
    a = spawn(worker, name = "a")
    b = spawn(worker, name = "b")
    a.join()
    b.join()
`

func TestChooserSeesPendingOps(t *testing.T) {
	c := &recordingChooser{}
	res := RunWith(context.Background(), Request{Source: twoWorkers, Mode: trace.ModeSim}, Options{Chooser: c, Steps: true, NoEvents: true}, nil)
	if res.Status != trace.StatusOK {
		t.Fatalf("RunWith = %v (%s), want ok", res.Status, res.Message)
	}
	if res.Stats.Events != 0 {
		t.Errorf("RunWith(NoEvents) recorded %d events, want 0", res.Stats.Events)
	}
	sawGet, sawSpawn := false, false
	for _, ch := range c.seen {
		for _, p := range ch.Runnable {
			if p.Op.K == trace.Get && p.Op.Obj == "counter" && p.Op.Line == 4 && !p.Op.Write && p.Op.ID >= firstObjID {
				sawGet = true
			}
			if p.Op.K == trace.Spawn && p.Op.ID == ObjThreads && p.Op.Line == 7 {
				sawSpawn = true
			}
		}
	}
	if !sawGet || !sawSpawn {
		t.Errorf("choices %+v: saw a pending get of counter at line 4 = %v, a spawn at line 7 = %v, want both", c.seen, sawGet, sawSpawn)
	}
	// Always running the lowest thread: main runs to its first join,
	// then a, then b; the schedule replays to the same run.
	replay := Run(context.Background(), Request{Source: twoWorkers, Mode: trace.ModeSim, Schedule: res.Schedule}, nil)
	if replay.Status != trace.StatusOK || replay.Schedule != res.Schedule {
		t.Errorf("replay of %q = %v, schedule %q, want ok and the same schedule", res.Schedule, replay.Status, replay.Schedule)
	}
}

func TestChooserCurrentAndSteps(t *testing.T) {
	c := &recordingChooser{}
	RunWith(context.Background(), Request{Source: twoWorkers, Mode: trace.ModeSim}, Options{Chooser: c, Steps: true}, nil)
	if len(c.seen) == 0 {
		t.Fatal("the chooser saw no choice")
	}
	first := c.seen[0]
	if first.Current != 0 {
		t.Errorf("first choice Current = %d, want 0 (main could go on)", first.Current)
	}
	if len(first.Steps) == 0 || first.Steps[0].Th != 0 || first.Steps[0].Op.K != trace.Start {
		t.Errorf("first choice Steps = %+v, want main's start first", first.Steps)
	}
	ended := false
	for _, ch := range c.seen {
		for _, s := range ch.Steps {
			if s.Ended && s.Th != 0 {
				ended = true
			}
		}
	}
	if !ended {
		t.Error("no step reported a worker's end")
	}
}

type abandoner struct{}

func (abandoner) Choose(*Choice) int { return Abandon }

func TestChooserAbandon(t *testing.T) {
	res := RunWith(context.Background(), Request{Source: twoWorkers, Mode: trace.ModeSim}, Options{Chooser: abandoner{}}, nil)
	if res.Status != trace.StatusStopped || res.Message != AbandonMessage {
		t.Errorf("RunWith(abandoner) = %v (%s), want stopped (%s)", res.Status, res.Message, AbandonMessage)
	}
}
