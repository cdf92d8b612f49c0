package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"syscall"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// childRequest is what the child reads on stdin: one run, or with
// Explore, an exploration of it (many runs, all inside this child, so
// that user code never leaves the sandbox).
type childRequest struct {
	engine.Request
	Explore *explore.Options `json:"explore,omitempty"`
	// Interactive makes the run's choices a person's: picks follow the
	// request on stdin (see runInteractive).
	Interactive bool `json:"interactive,omitempty"`
}

// stopSignal asks an exploring child to stop and report what it found.
const stopSignal = syscall.SIGTERM

// runExplore returns the child's body for an exploration: it streams
// progress frames and then the report, and stops early, reporting what it
// found, on stopSignal or a limit.
func runExplore(opts explore.Options) func(context.Context, engine.Request, *bufio.Writer, limits.Limits) error {
	return func(ctx context.Context, req engine.Request, w *bufio.Writer, lim limits.Limits) error {
		ctx, cancel := guard(ctx, lim)
		defer cancel()
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, stopSignal)
		defer signal.Stop(stop)
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		var writeErr error
		rep, err := explore.Explore(ctx, req, opts, func(p explore.Progress) {
			if writeErr == nil {
				writeErr = writeJSONFrame(w, trace.FrameProgress, p)
			}
			if writeErr != nil {
				cancel() // the supervisor is gone
			}
		})
		if err != nil {
			return fmt.Errorf("explore: %w", err)
		}
		var le *limitError
		if errors.As(context.Cause(ctx), &le) {
			rep.Stopped, rep.Limit = "limit", joinSentences(exploreStop(le.cause, lim), rep.Limit)
		}
		if writeErr != nil {
			return fmt.Errorf("write progress: %w", writeErr)
		}
		if err := writeJSONFrame(w, trace.FrameExplored, rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
}

// exploreStop says which of the exploring child's own limits stopped the
// exploration (the table's sentences speak of one run).
func exploreStop(c cause, lim limits.Limits) string {
	switch c {
	case causeCPU:
		return fmt.Sprintf("The exploration went over its CPU time limit of %d s.", lim.CPUSeconds)
	case causeMemory:
		return fmt.Sprintf("The exploration went over its memory limit of %d MiB.", lim.MemoryBytes>>20)
	}
	return c.sentence(causeFacts{lim: lim})
}

// joinSentences puts b after a, either may be empty.
func joinSentences(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + " " + b
}

// writeJSONFrame writes v as a JSON frame and flushes it.
func writeJSONFrame(w *bufio.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	if err := trace.WriteFrame(w, typ, b); err != nil {
		return err
	}
	return w.Flush()
}
