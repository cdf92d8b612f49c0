package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// DefaultPickTimeout is how long an interactive run waits for a pick
// unless configured.
const DefaultPickTimeout = 10 * time.Minute

// Interaction connects an interactive run to its person.
type Interaction struct {
	// Picks carries the person's picks and undos to the child, one for
	// each choice given to OnChoice (a pick sent at any other time waits
	// for the next choice). Interact reads it until the run ends.
	Picks <-chan trace.Pick
	// OnChoice is called from Interact's goroutine at each choice, after
	// onEvents has had every event before it.
	OnChoice func(c *trace.Choice)
	// OnRefused is called from Interact's goroutine when the child
	// refused the last pick, with the reason: the same choice still waits
	// for a pick. (The caller should check picks itself; this is a
	// defence.)
	OnRefused func(msg string)
	// OnRestart is called from Interact's goroutine after an undo: the
	// events that follow start again at sequence 0, replaying schedule.
	OnRestart func(schedule string)
	// Idle ends the run, status stopped, when a choice waits that long
	// for a pick; default DefaultPickTimeout.
	Idle time.Duration
	// Rest, if set, is called from Interact's goroutine when the child
	// stops computing to wait for its person: at each choice and after a
	// refused pick, before OnChoice or OnRefused. A waiting child sleeps,
	// so a server gives back the CPU slot the run held.
	Rest func()
	// Compute, if set, is called before each pick or undo goes to the
	// child, which then computes until its next choice; it may wait (for
	// a CPU slot) and must return when ctx ends. An error drops the pick
	// and ends the run, as closing Picks does. The idle clock, restarted when
	// the pick came, bounds the wait as it bounds the person's.
	Compute func(ctx context.Context) error
}

// Interact runs req, in sim mode, as Run does, except that a person makes
// its choices: each choice goes to in.OnChoice and the child waits for a
// pick from in.Picks. The wall-clock limit bounds the child's work from a
// pick to the next choice; in.Idle, the wait for a pick. A stop (ctx)
// kills the child at once.
func (r *Runner) Interact(ctx context.Context, req engine.Request, onEvents func([]trace.Event), in Interaction) (*trace.Result, error) {
	if req.Mode != trace.ModeSim {
		return newSummary(req).fail(trace.StatusError, "Only sim mode runs can be scheduled by hand."), nil
	}
	if in.Idle <= 0 {
		in.Idle = DefaultPickTimeout
	}
	t := &talk{in: in, idle: in.Idle, done: make(chan struct{}), sent: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(ctx)
	defer t.cancel()
	return r.run(ctx, req, onEvents, t)
}

// talk is the supervisor's side of an interactive run: a goroutine that
// writes the request and then the picks on the child's stdin, and the
// frame reader's handling of choices and restarts. Both re-arm the watch.
type talk struct {
	in      Interaction
	idle    time.Duration
	timeout time.Duration
	w       *watch
	done    chan struct{} // closed when the frames have been read
	sent    chan struct{} // closed when the writer has returned
	// ctx ends a Compute wait: cancelled by wait, or with the run's own.
	ctx    context.Context
	cancel context.CancelFunc
}

// start writes the request and then forwards picks until the run's
// frames have been read or the caller closes Picks.
func (t *talk) start(c *child, req []byte) {
	go func() {
		defer close(t.sent)
		defer c.stdin.Close()
		if _, err := c.stdin.Write(req); err != nil {
			return // the frame reader reports why the child died
		}
		for {
			select {
			case p, ok := <-t.in.Picks:
				if !ok {
					return // the child sees stdin end, and its run stops
				}
				if !t.compute() {
					return // the run ends; its child is being killed
				}
				b, _ := json.Marshal(p) // a Pick always encodes
				t.w.arm(t.timeout, causeTimeout)
				if _, err := c.stdin.Write(append(b, '\n')); err != nil {
					return
				}
			case <-t.done:
				return
			}
		}
	}()
}

// compute waits, through in.Compute, until the child may compute a pick;
// false means the run ends instead.
func (t *talk) compute() bool {
	if t.in.Compute == nil {
		return true
	}
	t.w.arm(t.idle, causeIdle)
	if err := t.in.Compute(t.ctx); err != nil {
		return false // stdin closes: the child's run stops, as when Picks closes
	}
	return true
}

// wait ends the writer; the child has been killed, so a write in
// progress fails at once, and a Compute wait ends with t.ctx.
func (t *talk) wait() {
	t.cancel()
	close(t.done)
	<-t.sent
}

// rest tells the caller that the child waits for its person.
func (t *talk) rest() {
	if t.in.Rest != nil {
		t.in.Rest()
	}
}

// frame handles a choice, refusal or restart frame.
func (t *talk) frame(typ byte, payload []byte, sum *summary) error {
	if typ == trace.FrameRefused {
		t.w.arm(t.idle, causeIdle)
		t.rest()
		if t.in.OnRefused != nil {
			t.in.OnRefused(string(payload))
		}
		return nil
	}
	if typ == trace.FrameRestart {
		var rs trace.Restart
		if err := json.Unmarshal(payload, &rs); err != nil {
			return fmt.Errorf("decode restart: %w", err)
		}
		sum.reset()
		if t.in.OnRestart != nil {
			t.in.OnRestart(rs.Schedule)
		}
		return nil
	}
	var c trace.Choice
	if err := json.Unmarshal(payload, &c); err != nil {
		return fmt.Errorf("decode choice: %w", err)
	}
	t.w.arm(t.idle, causeIdle)
	t.rest()
	if t.in.OnChoice != nil {
		t.in.OnChoice(&c)
	}
	return nil
}

// watch kills a child that takes too long, and remembers why: computing
// past the wall-clock limit, or (an interactive run) waiting past the
// idle limit for a pick. Each arm replaces the deadline before it.
type watch struct {
	mu    sync.Mutex
	timer *time.Timer
	gen   int   // counts arms, so that a stale timer does nothing
	why   cause // what the armed deadline means
	fired cause
	kill  func()
}

func newWatch(kill func()) *watch { return &watch{kill: kill} }

// arm sets the deadline d from now, which means why when it passes.
func (w *watch) arm(d time.Duration, why cause) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired != 0 || w.gen < 0 {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	w.gen++
	gen := w.gen
	w.why = why
	w.timer = time.AfterFunc(d, func() { w.fire(gen) })
}

func (w *watch) fire(gen int) {
	w.mu.Lock()
	if gen != w.gen {
		w.mu.Unlock()
		return
	}
	w.fired = w.why
	w.mu.Unlock()
	w.kill()
}

// stop disarms the watch for good and says why it fired, or 0.
func (w *watch) stop() cause {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.gen = -1
	return w.fired
}
