package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// prepare validates a run message into an engine request. The script is
// parsed here, before any child starts, so that a typo costs no process.
func (s *Server) prepare(m ClientMessage) (engine.Request, error) {
	mode, err := trace.ParseMode(string(m.Mode))
	if err != nil {
		return engine.Request{}, refuse(kindInvalid, "Unknown mode %q: choose os, green or sim.", m.Mode)
	}
	req := engine.Request{Mode: mode, Seed: m.Seed, Schedule: m.Schedule}
	switch {
	case m.Mode == "green" && (m.Procs < 0 || m.Procs > limits.MaxProcs):
		return req, refuse(kindInvalid, "Procs must be from 1 to %d, not %d.", limits.MaxProcs, m.Procs)
	case mode == trace.ModeGreen:
		req.Procs = m.Procs // 0: the engine's default, which its result reports
	}
	// refuseRun refuses the run with a result the page shows in the
	// place of the run's.
	refuseRun := func(ue *userError, status trace.Status, se *trace.ScriptError) error {
		ue.result = &trace.Result{
			Scenario: req.Scenario, Mode: mode, Procs: req.Procs, Seed: req.Seed, Params: m.Params,
			Status: status, Message: ue.msg, Error: se,
			Checks: []trace.CheckResult{}, Threads: []trace.Thread{}, Cells: []trace.CellValue{},
		}
		return ue
	}
	invalid := func(msg string) *userError { return &userError{kind: kindInvalid, msg: msg} }
	var sc *scenarios.Scenario
	switch {
	case m.Source != "":
		req.Scenario, req.Source = "script", m.Source
		if m.Scenario != "" {
			req.Scenario = m.Scenario
		}
		if ue := s.scriptTooLarge(m.Source); ue != nil {
			return req, refuseRun(ue, trace.StatusLimit, nil)
		}
		sc, err = scenarios.Parse(req.Scenario, m.Source)
		if err != nil {
			var se *scenarios.Error
			if errors.As(err, &se) {
				return req, refuseRun(invalid(fmt.Sprintf("Line %d, column %d: %s", se.Line, se.Col, se.Msg)), trace.StatusError,
					&trace.ScriptError{Line: se.Line, Col: se.Col, Msg: se.Msg})
			}
			return req, refuseRun(invalid(err.Error()), trace.StatusError, nil)
		}
	case m.Scenario != "":
		var ok bool
		if sc, ok = s.catalogue.Get(m.Scenario); !ok {
			return req, refuse(kindNotFound, "There is no scenario %q.", m.Scenario)
		}
		req.Scenario, req.Source = sc.ID, sc.Source
	default:
		return req, refuse(kindInvalid, `A run needs a "scenario" id or a "source" script.`)
	}
	given := m.Params
	if m.Source != "" {
		// An edited script may have dropped or renamed params that the
		// page's form still sends: keep only those it declares.
		given = map[string]any{}
		for _, p := range sc.Params {
			if v, ok := m.Params[p.Name]; ok {
				given[p.Name] = v
			}
		}
	}
	params, err := scenarios.Resolve(sc.Params, given)
	if err != nil {
		return req, refuseRun(invalid(sentence(err.Error())), trace.StatusError, nil)
	}
	req.Params = params
	return req, nil
}

// outbox is where a run's messages go: a client's send queue.
type outbox interface {
	// enqueue queues a message without blocking.
	enqueue(msg []byte)
	// behind reports that the client has so much queued that more events
	// should be shed rather than queued.
	behind() bool
}

// execute waits for a run slot, runs the request in the sandbox and
// streams what happens to out. client keys the per-client limits.
//
// A run can make events faster than a browser takes them. Then events
// are shed for this client (and counted as dropped in its result), the
// run goes on at full speed, and its end still arrives; a client that
// takes nothing at all is dropped by the writer's deadline instead.
func (s *Server) execute(ctx context.Context, req engine.Request, client string, log *slog.Logger, out outbox) {
	s.stream(ctx, req, client, log, out, nil, func(ctx context.Context, begin func(), onEvents func([]trace.Event)) (*trace.Result, error) {
		return s.runOn(ctx, req, out.enqueue, begin, onEvents)
	})
}

// runFunc runs a request, calling begin when it starts (a run may wait
// further in a cluster's own line) and handing its event batches to
// onEvents.
type runFunc func(ctx context.Context, begin func(), onEvents func([]trace.Event)) (*trace.Result, error)

// stream waits for a run slot, holds it while run runs, and streams the
// run's messages to out: started, events, end. An interactive run (st
// not nil) holds its seat instead, sheds no events (every event before
// a choice must reach the page) and keeps no recording of them, as an
// undo starts them again.
func (s *Server) stream(ctx context.Context, req engine.Request, client string, log *slog.Logger, out outbox, st *seat, run runFunc) {
	send := out.enqueue
	id := runID()
	log = log.With("run", id, "scenario", req.Scenario, "mode", req.Mode)
	queued := time.Now()
	interactive := st != nil
	if !s.waitForSlot(ctx, client, log, send, st) {
		if ctx.Err() != nil {
			// Stopped, or replaced by the client's next run, while it
			// waited: the page waits for every run's end, started or not.
			send(mustJSON(EndMessage{Type: "end", Result: stoppedWaiting(req)}))
		}
		return
	}
	// The hold is given back before the page hears the end, so that a
	// run it starts at once finds it free; and on every other way out.
	var freed sync.Once
	free := func() {
		freed.Do(func() {
			if interactive {
				st.leave()
			} else {
				s.admit.release(client)
			}
		})
	}
	defer free()
	var start time.Time
	begin := func() {
		start = time.Now()
		s.metrics.wait.Observe(start.Sub(queued).Seconds())
		send(mustJSON(StartedMessage{Type: "started", Run: id, Scenario: req.Scenario, Mode: req.Mode,
			Procs: req.Procs, Seed: req.Seed, Params: req.Params, Interactive: interactive}))
		log.Info("run started", "waited", start.Sub(queued), "interactive", interactive)
	}
	first := true
	var shed int64
	var rec *restRecording
	if _, ok := out.(restKeeper); ok && !interactive {
		rec = s.rests.recorder()
	}
	res, err := run(ctx, begin, func(batch []trace.Event) {
		if rec != nil {
			rec.add(batch)
		}
		if first {
			first = false
			s.metrics.childStart.Observe(time.Since(start).Seconds())
		}
		if out.behind() && !interactive {
			if shed == 0 {
				log.Info("client falls behind: shedding events")
			}
			shed += int64(len(batch))
			return
		}
		s.metrics.events.Add(float64(len(batch)))
		send(appendEventsMessage(nil, batch))
	})
	if s.unavailable(err, log, send) {
		return
	}
	if err != nil {
		log.Error("run failed in the sandbox", "err", err)
	}
	s.noteShed(res, shed, rec)
	if start.IsZero() { // stopped while it waited in the runners' own queue
		start = time.Now()
	}
	s.metrics.runs.WithLabelValues(string(res.Status)).Inc()
	s.metrics.duration.Observe(time.Since(start).Seconds())
	log.Info("run ended", "status", res.Status, "events", res.Stats.Events, "dropped", res.Stats.Dropped, "wall", time.Since(start))
	end := mustJSON(EndMessage{Type: "end", Result: res, Rest: s.finishRest(rec, shed, out)})
	free()
	send(end)
}

// stoppedWaiting is the result of a run stopped before it had a slot.
func stoppedWaiting(req engine.Request) *trace.Result {
	return &trace.Result{
		Scenario: req.Scenario, Mode: req.Mode, Procs: req.Procs, Seed: req.Seed, Params: req.Params,
		Status: trace.StatusStopped, Message: "Stopped while it waited for a free slot; it never started.",
		Checks: []trace.CheckResult{}, Threads: []trace.Thread{}, Cells: []trace.CellValue{},
	}
}

// unavailable answers busy, and returns true, when err says that a runner
// elsewhere could not be reached: the run did not start.
func (s *Server) unavailable(err error, log *slog.Logger, send func([]byte)) bool {
	var unavailable interface{ Unavailable() string }
	if !errors.As(err, &unavailable) {
		return false
	}
	s.metrics.busy.Inc()
	log.Warn("run refused: runners unavailable", "err", err)
	send(mustJSON(ErrorMessage{Type: "error", Code: "busy", Message: unavailable.Unavailable()}))
	return true
}

// noteShed counts the events shed for a slow page in the result.
func (s *Server) noteShed(res *trace.Result, shed int64, rec *restRecording) {
	if shed == 0 {
		return
	}
	res.Stats.Dropped += shed
	s.metrics.shed.Add(float64(shed))
	res.Message += fmt.Sprintf(" %d events were not sent to the page, which could not draw them as fast as they came; the result counts them all.", shed)
	if rec != nil && !rec.over {
		res.Message += " The page fetches them now."
	}
}

// runOn runs req on the server's runner. A QueueRunner's runs may wait
// further in its own line: the client hears its positions there, and
// begin is called when the run starts; otherwise at once.
func (s *Server) runOn(ctx context.Context, req engine.Request, send func([]byte), begin func(), onEvents func([]trace.Event)) (*trace.Result, error) {
	if q, ok := s.runner.(QueueRunner); ok {
		return q.RunQueued(ctx, req, func(pos int) {
			send(mustJSON(QueuedMessage{Type: "queued", Position: pos}))
		}, begin, onEvents)
	}
	begin()
	return s.runner.Run(ctx, req, onEvents)
}

// waitForSlot waits in the admission queue for a run slot, telling the
// client its position; when it is refused it says why and returns false.
// The caller releases the slot with s.admit.release(client), or an
// interactive run (st) its seat with st.leave.
func (s *Server) waitForSlot(ctx context.Context, client string, log *slog.Logger, send func([]byte), st *seat) bool {
	var err error
	if st != nil {
		err = st.enter(ctx)
	} else {
		err = s.admit.acquire(ctx, client, func(pos int) {
			send(mustJSON(QueuedMessage{Type: "queued", Position: pos}))
		})
	}
	var refusal *userError
	switch {
	case errors.Is(err, errInteractiveFull):
		s.metrics.busy.Inc()
		log.Info("interactive run refused: places full", "max", s.admit.maxInteractive)
		refusal = &userError{kind: kindBusy, msg: fmt.Sprintf("The server is busy: %d You schedule runs are open, the most it keeps at once. Try again in a few minutes, or use Run or Explore meanwhile.", s.admit.maxInteractive)}
	case errors.Is(err, errClientInteractive):
		s.metrics.busy.Inc()
		log.Info("interactive run refused: client has its share open", "max", s.admit.perClient)
		refusal = &userError{kind: kindBusy, msg: clientInteractiveMessage(s.admit.perClient)}
	case errors.Is(err, errBusy):
		s.metrics.busy.Inc()
		_, waiting := s.admit.stats()
		log.Info("run refused: queue full", "waiting", waiting)
		refusal = &userError{kind: kindBusy, msg: fmt.Sprintf("The server is busy: %d runs are waiting already. Try again in a minute.", waiting)}
	case errors.Is(err, errClientQueued):
		s.metrics.busy.Inc()
		log.Info("run refused: client has runs waiting", "max", s.admit.perClientQueue)
		refusal = &userError{kind: kindBusy, msg: fmt.Sprintf("Your address has %d runs waiting already, the most one address may have waiting; wait for them to start, or stop one.", s.admit.perClientQueue)}
	case errors.Is(err, errShuttingDown):
		refusal = shuttingDown
	case err != nil:
		return false // the client stopped the run or left while it waited
	}
	if refusal != nil {
		send(mustJSON(refusal.errorMessage()))
		return false
	}
	return true
}

// clientInteractiveMessage says why a client's You schedule run was
// refused: its address holds its share already (another tab, say).
func clientInteractiveMessage(most int) string {
	if most == 1 {
		return "Your address has a You schedule run open already, the most one address may have: finish or stop that one (another tab?) first."
	}
	return fmt.Sprintf("Your address has %d You schedule runs open already, the most one address may have: finish or stop one of them first.", most)
}

func runID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sentence makes an internal-style error text read as a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if last := b[len(b)-1]; last != '.' && last != '?' && last != '!' {
		b = append(b, '.')
	}
	return string(b)
}

// mustJSON encodes a message built by the server itself; such values
// always encode, so a failure is reported to the client as a plain error.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"type":"error","message":"The server could not encode a message."}`)
	}
	return b
}
