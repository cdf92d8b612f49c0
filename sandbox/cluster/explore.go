package cluster

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nuid"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// LostError means an exploration ended without a report because its
// runner stopped (it died, or was cut off for longer than the heartbeat
// timeout): what it had found went with it.
type LostError struct {
	Runner string // the runner that had the exploration
	Err    error
}

// Error says which runner was lost and how it was noticed.
func (e *LostError) Error() string {
	return fmt.Sprintf("exploration lost with runner %s: %v", e.Runner, e.Err)
}

// Unwrap returns how the loss was noticed.
func (e *LostError) Unwrap() error { return e.Err }

// UserMessage is the sentence the person is told.
func (e *LostError) UserMessage() string {
	return "The runner exploring your script stopped, and what it had found was lost with it; explore again."
}

// Explore queues an exploration of req under opts, waits for a runner to
// take it, and calls onProgress, from the calling goroutine, with each
// progress the runner sends; it returns the runner's report. A stop (ctx)
// reaches the runner, whose exploration stops and reports what it found;
// one stopped before a runner took it reports nothing found. The error
// is an *UnavailableError when the cluster could not take it or no runner
// took it in time, a *LostError when its runner stopped, and otherwise
// says why the runner has no report.
func (c *Client) Explore(ctx context.Context, req engine.Request, opts explore.Options, onProgress func(explore.Progress)) (*explore.Report, error) {
	f := c.newFollower(req)
	f.onProgress = onProgress
	res, err := c.submit(ctx, f, work{ID: nuid.Next(), Req: req, Explore: &opts})
	switch x := f.explored; {
	case x != nil && x.Error != "":
		return nil, fmt.Errorf("explore on runner %s: %s", f.startedBy, x.Error)
	case x != nil && x.Report == nil:
		return nil, fmt.Errorf("explore on runner %s: no report", f.startedBy)
	case x != nil:
		return x.Report, nil
	case err != nil:
		return nil, err
	case f.gotResult:
		return nil, fmt.Errorf("explore on runner %s: it answered with a run's result (%s), not a report: is it older than this server?", f.startedBy, res.Status)
	case !f.begun && res.Status == trace.StatusStopped:
		return &explore.Report{Strategy: opts.Strategy, Mode: string(req.Mode), Stopped: "stop", Outcomes: []*explore.Outcome{}}, nil
	}
	return nil, &LostError{Runner: f.startedBy, Err: fmt.Errorf("exploration %s: %s", f.id, res.Message)}
}

// explore runs a taken exploration in the runner's sandbox, sending its
// progress as it comes and then its report, which the sandbox has when
// the exploration was stopped too.
func (w *Worker) explore(ctx context.Context, log *slog.Logger, wk work) {
	subj := eventSubject(wk.ID)
	var out explored
	if ex, ok := w.sb.(Explorer); !ok {
		out.Error = "this runner's sandbox cannot explore"
	} else {
		rep, err := ex.Explore(ctx, wk.Req, *wk.Explore, func(p explore.Progress) {
			_ = w.nc.Publish(subj, append([]byte{kindProgress}, mustJSON(p)...))
		})
		out.Report = rep
		if err != nil {
			out.Report, out.Error = nil, err.Error()
		}
	}
	body, err := jsonMarshal(out)
	if err == nil && int64(len(body)+1) > w.nc.MaxPayload() {
		err = fmt.Errorf("the report is %d bytes, more than the %d bytes NATS carries in one message", len(body), w.nc.MaxPayload())
	}
	if err != nil {
		log.Error("encode report", "err", err)
		body = mustJSON(explored{Error: fmt.Sprintf("encode report: %v", err)})
	}
	if err := w.nc.Publish(subj, append([]byte{kindExplored}, body...)); err != nil {
		log.Error("send report", "err", err)
	}
	if out.Report != nil {
		log.Info("exploration ended", "schedules", out.Report.Schedules, "outcomes", len(out.Report.Outcomes),
			"complete", out.Report.Complete, "stopped", out.Report.Stopped)
	} else {
		log.Error("exploration failed", "err", out.Error)
	}
}

// exploration handles an exploration's progress and its last message.
func (f *follower) exploration(kind byte, body []byte) (*trace.Result, error) {
	if kind == kindProgress {
		var p explore.Progress
		if err := jsonUnmarshal(body, &p); err != nil {
			f.c.log.Warn("unreadable progress from a runner", "run", f.id, "err", err)
			return nil, nil
		}
		if f.onProgress != nil {
			f.onProgress(p)
		}
		return nil, nil
	}
	var x explored
	if err := jsonUnmarshal(body, &x); err != nil {
		x = explored{Error: fmt.Sprintf("decode report: %v", err)}
	}
	f.explored = &x
	// The exploration is over; Explore answers from f.explored, not from
	// this result.
	return f.sum.fail(trace.StatusOK, ""), nil
}
