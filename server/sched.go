package server

import (
	"context"
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

// interact waits for a run slot and holds it while the person picks:
// events, choices and restarts stream to out until the run ends.
func (s *Server) interact(ctx context.Context, sch Scheduler, req engine.Request, p *picker, client string, log *slog.Logger, out outbox) {
	send := out.enqueue
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
	}
	s.stream(ctx, req, client, log, out, true, func(ctx context.Context, begin func(), onEvents func([]trace.Event)) (*trace.Result, error) {
		begin()
		return sch.Interact(ctx, req, func(b []trace.Event) {
			p.observe(b)
			onEvents(b)
		}, in)
	})
}
