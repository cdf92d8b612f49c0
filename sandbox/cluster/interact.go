package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// Interact queues req as an interactive run (You schedule), as
// *sandbox.Runner.Interact runs one locally: its events go to onEvents
// and its choices, refused picks and restarts to in's callbacks, all from
// the calling goroutine, and the picks and undos read from in.Picks go to
// the run's runner. in.Rest is called at each choice and refused pick,
// and in.Compute before each pick goes out, as a local run calls them.
// in.Idle travels with the run: the runner's sandbox
// ends a choice that waits that long. A runner that stops ends the run
// with status error and the events it sent; the error is as Run's.
func (c *Client) Interact(ctx context.Context, req engine.Request, onEvents func([]trace.Event), in sandbox.Interaction) (*trace.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := c.newFollower(req)
	f.onEvents, f.in = onEvents, &in
	id := nuid.Next()
	fctx, stopForwarding := context.WithCancel(ctx)
	var fw sync.WaitGroup
	fw.Go(func() { c.forwardPicks(fctx, id, in, cancel) })
	defer func() {
		stopForwarding() // ends a Compute wait too
		fw.Wait()
	}()
	return c.submit(ctx, f, work{ID: id, Req: req, Interact: &interact{Idle: in.Idle}})
}

// forwardPicks publishes each pick on the run's pick subject until ctx
// ends. Before each it waits, through in.Compute, until the run may
// compute (a CPU slot of the server's); an error there, or closing
// in.Picks, ends the run, as either does a local one. The runner's idle
// clock runs from the choice, so it bounds that wait and the person's
// together.
func (c *Client) forwardPicks(ctx context.Context, id string, in sandbox.Interaction, endRun func()) {
	subj := pickSubject(id)
	for {
		select {
		case p, ok := <-in.Picks:
			if !ok {
				endRun()
				return
			}
			if in.Compute != nil {
				if err := in.Compute(ctx); err != nil {
					endRun()
					return
				}
			}
			if err := c.nc.Publish(subj, mustJSON(p)); err != nil {
				c.log.Warn("cannot send a pick to the runner", "run", id, "err", err)
			}
		case <-ctx.Done():
			return
		}
	}
}

// listenForPicks subscribes to an interactive run's picks before the
// run starts, so that none is missed; the subscription's goroutine hands
// them to the sandbox one at a time, in order, until ctx ends.
func (w *Worker) listenForPicks(ctx context.Context, log *slog.Logger, id string) (<-chan trace.Pick, *nats.Subscription, error) {
	ch := make(chan trace.Pick, 8)
	sub, err := w.nc.Subscribe(pickSubject(id), func(m *nats.Msg) {
		var p trace.Pick
		if err := jsonUnmarshal(m.Data, &p); err != nil {
			log.Warn("dropping a malformed pick", "err", err)
			return
		}
		select {
		case ch <- p:
		case <-ctx.Done():
		}
	})
	return ch, sub, err
}

// interact runs a taken interactive run in the runner's sandbox: events,
// choices, refusals and restarts go out on the run's subject in the order
// the sandbox gives them, so each choice follows every event before it.
func (w *Worker) interact(ctx context.Context, wk work, picks <-chan trace.Pick) (*trace.Result, error) {
	sch, ok := w.sb.(Scheduler)
	if !ok {
		return newPartial(wk.Req).fail(trace.StatusError, "This runner cannot wait for picks, so it cannot run You schedule."), nil
	}
	subj := eventSubject(wk.ID)
	send := func(kind byte, body []byte) { _ = w.nc.Publish(subj, append([]byte{kind}, body...)) }
	return sch.Interact(ctx, wk.Req, w.eventSender(subj), sandbox.Interaction{
		Picks:     picks,
		Idle:      wk.Interact.Idle,
		OnChoice:  func(c *trace.Choice) { send(kindChoice, mustJSON(c)) },
		OnRefused: func(msg string) { send(kindRefused, []byte(msg)) },
		OnRestart: func(schedule string) { send(kindRestart, []byte(schedule)) },
	})
}

// interaction hands an interactive run's choice, refused pick or restart
// to its callbacks. A choice that cannot be read ends the run, on its
// runner too, as a local run ends on a frame it cannot read.
func (f *follower) interaction(kind byte, body []byte) (*trace.Result, error) {
	if f.in == nil {
		return nil, nil
	}
	switch kind {
	case kindChoice:
		var ch trace.Choice
		if err := jsonUnmarshal(body, &ch); err != nil {
			_ = f.c.nc.Publish(cancelSubject(f.id), nil)
			return f.sum.fail(trace.StatusError, "The runner sent a choice that could not be read."), fmt.Errorf("decode choice of run %s: %w", f.id, err)
		}
		if f.in.Rest != nil { // the child waits for its person
			f.in.Rest()
		}
		if f.in.OnChoice != nil {
			f.in.OnChoice(&ch)
		}
	case kindRefused:
		if f.in.Rest != nil {
			f.in.Rest()
		}
		if f.in.OnRefused != nil {
			f.in.OnRefused(string(body))
		}
	case kindRestart:
		f.sum.reset()
		if f.in.OnRestart != nil {
			f.in.OnRestart(string(body))
		}
	}
	return nil, nil
}
