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
	res   trace.Result
	index map[int]int
}

func newPartial(req engine.Request) *partial {
	return &partial{req: req, index: map[int]int{0: 0}, res: trace.Result{
		Scenario: req.Scenario,
		Mode:     req.Mode,
		Procs:    req.Procs,
		Seed:     req.Seed,
		Params:   req.Params,
		Checks:   []trace.CheckResult{},
		Threads:  []trace.Thread{{ID: 0, Name: "main", Parent: -1, State: trace.ThreadRunning}},
		Cells:    []trace.CellValue{},
	}}
}

// reset forgets the events seen: an undo restarted the run, and its
// events come again from the start.
func (p *partial) reset() { *p = *newPartial(p.req) }

func (p *partial) observe(evs []trace.Event) {
	for i := range evs {
		e := &evs[i]
		p.res.Stats.Events++
		if e.K == trace.Spawn && e.V.Kind == trace.VInt {
			if _, ok := p.index[int(e.V.Int)]; !ok {
				p.index[int(e.V.Int)] = len(p.res.Threads)
				p.res.Threads = append(p.res.Threads, trace.Thread{ID: int(e.V.Int), Name: e.Obj, Parent: e.Th, State: trace.ThreadRunning})
			}
		}
		if j, ok := p.index[e.Th]; ok {
			p.res.Threads[j].Events++
		}
	}
}

func (p *partial) fail(status trace.Status, msg string) *trace.Result {
	r := p.res
	r.Threads = append([]trace.Thread(nil), p.res.Threads...)
	r.Status, r.Message = status, msg
	return &r
}

// unavailable is the answer to a run the cluster did not start: a result
// with the reason, and the error that makes the server answer busy.
func (p *partial) unavailable(reason string, err error) (*trace.Result, error) {
	return p.fail(trace.StatusError, reason), &UnavailableError{Reason: reason, Err: err}
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
