package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
)

// runInteractive returns the child's body for an interactive run: the
// person picks at each choice. Picks arrive on in (the rest of stdin),
// one JSON trace.Pick each. At a choice the child writes every event
// before it, then a choice frame, and waits for a pick. An undo ends the
// execution, not as a result: a restart frame follows, and the run
// begins again replaying its schedule less the last choice, until a run
// ends by itself (or its person leaves: stdin closes).
func runInteractive(in io.Reader) func(context.Context, engine.Request, *bufio.Writer, isolate.Limits) error {
	return func(ctx context.Context, req engine.Request, w *bufio.Writer, lim isolate.Limits) error {
		ctx, cancel := guard(ctx, lim)
		defer cancel()
		out := &pickPipe{w: w, cancel: cancel}
		person := &pipePerson{ctx: ctx, picks: readPicks(in), out: out}
		prefix := req.Schedule
		req.Schedule = ""
		for {
			pc, err := engine.NewPickChooser(prefix, person)
			if err != nil { // a link's schedule that does not parse
				req.Schedule = prefix
				return writeResult(ctx, w, engine.Run(ctx, req, out.emit), lim)
			}
			res := engine.RunWith(ctx, req, engine.Options{Chooser: pc}, out.emit)
			if out.err != nil {
				return fmt.Errorf("write frames: %w", out.err)
			}
			if !pc.Undone() || ctx.Err() != nil {
				return writeResult(ctx, w, res, lim)
			}
			prefix = pc.Back()
			out.discard.Store(false)
			if err := out.frame(trace.FrameRestart, trace.Restart{Schedule: prefix}); err != nil {
				return fmt.Errorf("write restart: %w", err)
			}
		}
	}
}

// readPicks decodes picks from in until it ends or holds something that
// is not a pick; the channel is then closed. The goroutine lives as long
// as stdin is open, which is as long as the child.
func readPicks(in io.Reader) <-chan trace.Pick {
	picks := make(chan trace.Pick)
	go func() {
		defer close(picks)
		dec := json.NewDecoder(in)
		for {
			var p trace.Pick
			if err := dec.Decode(&p); err != nil {
				return
			}
			picks <- p
		}
	}()
	return picks
}

// pickPipe is the event pipe of an interactive run: the engine's flusher
// writes events and the chooser writes choices, so writes take mu.
type pickPipe struct {
	mu     sync.Mutex
	w      *bufio.Writer
	buf    []byte
	err    error // the first write error: the supervisor is gone
	cancel func()
	// discard drops events from an accepted undo to the run's end: the
	// execution is being thrown away, and its cutoffs are no news.
	discard atomic.Bool
}

func (p *pickPipe) emit(batch []trace.Event) {
	if p.discard.Load() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return
	}
	if p.buf, p.err = writeEvents(p.w, p.buf, batch); p.err != nil {
		p.cancel()
	}
}

// frame writes v as a JSON frame of type typ and flushes it.
func (p *pickPipe) frame(typ byte, v any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.err = writeJSONFrame(p.w, typ, v); p.err != nil {
		p.cancel()
	}
	return p.err
}

// rawFrame writes a frame of payload and flushes it.
func (p *pickPipe) rawFrame(typ byte, payload []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.err = trace.WriteFrame(p.w, typ, payload); p.err == nil {
		p.err = p.w.Flush()
	}
	if p.err != nil {
		p.cancel()
	}
	return p.err
}

// pipePerson is the person behind the supervisor: choices go out as
// frames, picks come in from stdin.
type pipePerson struct {
	ctx   context.Context
	picks <-chan trace.Pick
	out   *pickPipe
	reask bool // the choice is out already: the last pick was refused
}

func (p *pipePerson) Ask(c *trace.Choice) (trace.Pick, bool) {
	if !p.reask && p.out.frame(trace.FrameChoice, c) != nil {
		return trace.Pick{}, false
	}
	p.reask = false
	select {
	case pk, ok := <-p.picks:
		// Events after an undo are dropped; a refused undo (Refuse)
		// takes them back.
		p.out.discard.Store(ok && pk.Undo)
		return pk, ok
	case <-p.ctx.Done():
		return trace.Pick{}, false
	}
}

// Refuse says why a pick the supervisor should have refused itself was;
// the same choice is asked again, and is not sent again.
func (p *pipePerson) Refuse(_ *trace.Choice, msg string) {
	p.out.discard.Store(false)
	p.reask = true
	_ = p.out.rawFrame(trace.FrameRefused, []byte(msg))
}
