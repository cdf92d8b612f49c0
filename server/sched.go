package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// Scheduler runs a sim-mode request whose choices a person makes (You
// schedule). *sandbox.Runner and the cluster's client are Schedulers; a
// Runner that is not refuses interactive runs with a sentence.
type Scheduler interface {
	Interact(ctx context.Context, req engine.Request, onEvents func([]trace.Event), in sandbox.Interaction) (*trace.Result, error)
}

// picker is the server's side of an interactive run. It keeps the
// choice put to the person, so that a pick is checked here, without
// troubling the child, and forwards the picks that fit.
type picker struct {
	mu      sync.Mutex
	waiting *trace.Choice  // nil while the child works towards the next choice
	last    *trace.Choice  // the last choice put to the person
	names   map[int]string // thread names from spawn events, for refusals
	picks   chan trace.Pick
}

func newPicker() *picker {
	return &picker{names: map[int]string{0: "main"}, picks: make(chan trace.Pick, 1)}
}

// pick checks a pick against the waiting choice and forwards it.
func (p *picker) pick(pk trace.Pick) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting == nil {
		return pickTooSoon
	}
	if msg := p.waiting.Check(pk, p.names); msg != "" {
		return pickRefused(msg)
	}
	select {
	case p.picks <- pk:
		p.waiting = nil
		return nil
	default: // cannot happen: one pick per choice, and the child takes each
		return pickTooSoon
	}
}

// ask notes the choice put to the person.
func (p *picker) ask(c *trace.Choice) {
	p.mu.Lock()
	p.waiting, p.last = c, c
	p.mu.Unlock()
}

// refused notes that the child refused the last pick: its choice waits
// again.
func (p *picker) refused() {
	p.mu.Lock()
	p.waiting = p.last
	p.mu.Unlock()
}

// observe learns thread names from spawn events.
func (p *picker) observe(batch []trace.Event) {
	for i := range batch {
		if e := &batch[i]; e.K == trace.Spawn && e.V.Kind == trace.VInt {
			p.mu.Lock()
			p.names[int(e.V.Int)] = e.Obj
			p.mu.Unlock()
		}
	}
}

// pick hands a pick or undo to the socket's interactive run, or answers
// why it cannot; the run and its choice stay as they were.
func (c *conn) pick(pk trace.Pick) {
	c.mu.Lock()
	p := c.picks
	c.mu.Unlock()
	if p == nil {
		c.refuse(noPickWaiting)
		return
	}
	if err := p.pick(pk); err != nil {
		c.refuse(err)
	}
}

// startInteractive starts a run whose choices the person makes, on a
// runner that can, in sim mode only.
func (c *conn) startInteractive(m ClientMessage, req engine.Request) {
	sch, ok := c.s.runner.(Scheduler)
	switch {
	case req.Mode != trace.ModeSim:
		c.refuse(interactiveNotSim)
		return
	case !ok:
		c.refuse(interactiveOff)
		return
	}
	// A waiting child keeps its memory: the interactive limit, lower
	// than a run's, is what makes DefaultMaxInteractive of them fit.
	req.Limits.MemoryBytes = c.s.cfg.InteractiveMemory
	p := newPicker()
	c.mu.Lock()
	c.picks = p
	c.mu.Unlock()
	c.launch(func(ctx context.Context) {
		defer func() {
			c.mu.Lock()
			if c.picks == p {
				c.picks = nil
			}
			c.mu.Unlock()
		}()
		c.s.interact(ctx, sch, req, p, c.client, c.log, c)
	})
}

// seat is an interactive run's hold on the admission: its client's slot
// and an interactive place for the whole run, one of the CPU slots only
// while its child computes (the prefix's replay up to the first choice,
// and from each pick or undo to the next choice).
type seat struct {
	a      *admission
	client string
	notify func(position int)

	mu      sync.Mutex
	running bool // holds a CPU slot
}

// enter waits for the run's place and first slot, as a plain run waits.
func (st *seat) enter(ctx context.Context) error {
	if err := st.a.acquireInteractive(ctx, st.client, st.notify); err != nil {
		return err
	}
	st.running = true
	return nil
}

// rest gives the CPU slot back: the child waits for its person.
func (st *seat) rest() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.running {
		st.running = false
		st.a.pause()
	}
}

// compute waits for a CPU slot before a pick goes to the child; the
// client hears its queue positions, as for a run, if it must wait.
func (st *seat) compute(ctx context.Context) error {
	st.mu.Lock()
	running := st.running
	st.mu.Unlock()
	if running {
		return nil
	}
	if err := st.a.resume(ctx, st.client, st.notify); err != nil {
		return fmt.Errorf("wait for a slot to compute a pick: %w", err)
	}
	st.mu.Lock()
	st.running = true
	st.mu.Unlock()
	return nil
}

// leave ends the run's hold: its place, its client's slot, and its CPU
// slot if it has one.
func (st *seat) leave() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.a.leaveInteractive(st.client, st.running)
	st.running = false
}

// interact waits for a run slot, holds the client's slot while the person
// picks and a CPU slot while the child computes: events, choices and
// restarts stream to out until the run ends.
func (s *Server) interact(ctx context.Context, sch Scheduler, req engine.Request, p *picker, client string, log *slog.Logger, out outbox) {
	send := out.enqueue
	st := &seat{a: s.admit, client: client, notify: func(pos int) {
		send(mustJSON(QueuedMessage{Type: "queued", Position: pos}))
	}}
	in := sandbox.Interaction{
		Picks: p.picks,
		Idle:  s.cfg.PickTimeout,
		OnChoice: func(ch *trace.Choice) {
			p.ask(ch)
			send(mustJSON(ChoiceMessage{Type: "choice", Choice: *ch}))
		},
		OnRefused: func(msg string) {
			log.Warn("the child refused a pick the server let through", "reason", msg)
			p.refused()
			send(mustJSON(pickRefused(msg).errorMessage()))
		},
		OnRestart: func(schedule string) {
			send(mustJSON(RestartMessage{Type: "restart", Schedule: schedule}))
		},
		Rest:    st.rest,
		Compute: st.compute,
	}
	s.stream(ctx, req, client, log, out, st, func(ctx context.Context, begin func(), onEvents func([]trace.Event)) (*trace.Result, error) {
		begin()
		return sch.Interact(ctx, req, func(b []trace.Event) {
			p.observe(b)
			onEvents(b)
		}, in)
	})
}

// DefaultMaxInteractive is how many interactive runs a server holds at
// once unless configured. A waiting child sleeps, so it costs memory, not
// CPU: measured (docs/benchmarks.md) at 1.6 MiB of its own (anonymous)
// memory and 6 MiB of RSS, most of it the child binary's pages, which
// all children share; a script that filled 10 MiB of heap before its
// first choice, 17 MiB. 64 children take about 100 MiB; at worst (every
// heap near DefaultInteractiveMemory, some 24 MiB each) about 1.5 GiB,
// which beside two runs computing at their full limit (2 x 448 MiB of
// cgroup) still fits a 2-core, 4 GiB teacher's server.
const DefaultMaxInteractive = 64

// DefaultInteractiveMemory is the heap an interactive run's script may
// use unless configured: its child waits in memory for minutes, and a
// script small enough to schedule by hand needs far less (the built-in
// challenges under 1 MiB).
const DefaultInteractiveMemory = 16 << 20
