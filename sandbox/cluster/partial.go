package cluster

import (
	"encoding/json"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// partial follows a run's events on the server, so that a run whose runner
// died still reports its threads and counts with the events it sent.
type partial struct {
	req   engine.Request
	tally trace.Tally
}

func newPartial(req engine.Request) *partial {
	return &partial{req: req, tally: trace.NewTally(req.Head())}
}

// reset forgets the events seen: an undo restarted the run, and its
// events come again from the start.
func (p *partial) reset() { *p = *newPartial(p.req) }

func (p *partial) observe(evs []trace.Event) { p.tally.Observe(evs) }

func (p *partial) fail(status trace.Status, msg string) *trace.Result {
	r := p.tally.Result(status, msg)
	return &r
}

// unavailable is the answer to a run the cluster did not start: a result
// with the reason, and the error that makes the server answer busy.
func (p *partial) unavailable(reason string, err error) (*trace.Result, error) {
	return p.fail(trace.StatusError, reason), &UnavailableError{Reason: reason, Err: err}
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
