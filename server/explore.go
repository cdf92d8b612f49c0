package server

import (
	"context"
	"log/slog"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// Explorer explores a request in the sandbox: many runs of one script,
// grouped by outcome. *sandbox.Runner is one. A Runner that is not an
// Explorer serves runs only.
type Explorer interface {
	Explore(ctx context.Context, req engine.Request, opts explore.Options, onProgress func(explore.Progress)) (*explore.Report, error)
}

// progressMessage is what an exploration has found so far.
type progressMessage struct {
	Type string `json:"type"`
	explore.Progress
}

// exploredMessage carries an exploration's report, its fields beside the
// type.
type exploredMessage struct {
	Type string `json:"type"`
	*explore.Report
}

// exploreOptions checks an explore message's options; a refusal names
// the option and its range. Without a mode the strategy picks one: sim,
// or os for repeat.
func exploreOptions(m *clientMessage) (explore.Options, error) {
	opts := explore.Options{Strategy: m.Strategy, Budget: m.Budget, Preemptions: m.Preemptions,
		Depth: m.Depth, Seed: m.Seed, UntilFailure: m.UntilFailure}
	if err := opts.Check(); err != nil {
		return opts, requestError("%s", sentence(err.Error()))
	}
	repeat := opts.Strategy == explore.Repeat
	switch {
	case m.Mode == "" && repeat:
		m.Mode = string(trace.ModeOS)
	case m.Mode == "":
		m.Mode = string(trace.ModeSim)
	case repeat && m.Mode == string(trace.ModeSim):
		return opts, requestError("The repeat strategy runs on real threads: choose mode os or green, or another strategy for sim mode.")
	case !repeat && m.Mode != string(trace.ModeSim):
		return opts, requestError("The %s strategy chooses sim mode's interleavings: choose mode sim, or the repeat strategy for real threads.", quoteShort(opts.Strategy))
	}
	return opts, nil
}

// startExplore stops the socket's previous run and starts an
// exploration, admitted as a run is.
func (c *conn) startExplore(m clientMessage) {
	c.stopRun()
	ex, ok := c.s.runner.(Explorer)
	if !ok {
		c.sendError("This server cannot explore; use run.")
		return
	}
	opts, err := exploreOptions(&m)
	if err != nil {
		c.sendError(userMessage(err))
		return
	}
	m.Schedule = "" // every execution has its own
	req, err := c.s.prepare(m)
	if err != nil {
		c.sendRefusal(err)
		return
	}
	c.launch(func(ctx context.Context) { c.s.explore(ctx, ex, req, opts, c.client, c.log, c) })
}

// explore waits for a run slot, explores the request in one child and
// streams its progress and then its report to out. A stop ends it early
// with what it found.
func (s *Server) explore(ctx context.Context, ex Explorer, req engine.Request, opts explore.Options, client string, log *slog.Logger, out outbox) {
	send := out.enqueue
	id := runID()
	log = log.With("explore", id, "scenario", req.Scenario, "strategy", opts.Strategy)
	queued := time.Now()
	if !s.waitForSlot(ctx, client, log, send) {
		return
	}
	defer s.admit.release(client)
	s.metrics.wait.Observe(time.Since(queued).Seconds())
	send(mustJSON(map[string]any{
		"type": "started", "run": id, "scenario": req.Scenario, "mode": req.Mode,
		"procs": req.Procs, "seed": req.Seed, "params": req.Params,
	}))
	start := time.Now()
	rep, err := ex.Explore(ctx, req, opts, func(p explore.Progress) {
		send(mustJSON(progressMessage{Type: "progress", Progress: p}))
	})
	if err != nil {
		log.Error("exploration failed in the sandbox", "err", err)
		send(mustJSON(map[string]string{"type": "error", "message": "Something went wrong on the server; the exploration did not finish."}))
		return
	}
	log.Info("exploration ended", "schedules", rep.Schedules, "outcomes", len(rep.Outcomes),
		"complete", rep.Complete, "stopped", rep.Stopped, "wall", time.Since(start))
	send(mustJSON(exploredMessage{Type: "explored", Report: rep}))
}
