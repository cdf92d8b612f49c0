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
// grouped by outcome. *sandbox.Runner and the cluster's client are
// Explorers; a Runner that is not serves runs only.
type Explorer interface {
	Explore(ctx context.Context, req engine.Request, opts explore.Options, onProgress func(explore.Progress)) (*explore.Report, error)
}

// exploreOptions checks an explore message's options; a refusal names
// the option and its range. Without a mode the strategy picks one: sim,
// or os for repeat.
func exploreOptions(m *ClientMessage) (explore.Options, error) {
	opts := explore.Options{Strategy: m.Strategy, Budget: m.Budget, Preemptions: m.Preemptions,
		Depth: m.Depth, Seed: m.Seed, UntilFailure: m.UntilFailure}
	if err := opts.Check(); err != nil {
		return opts, refuse(kindInvalid, "%s", sentence(err.Error()))
	}
	repeat := opts.Strategy == explore.Repeat
	switch {
	case m.Mode == "" && repeat:
		m.Mode = trace.ModeOS
	case m.Mode == "":
		m.Mode = trace.ModeSim
	case repeat && m.Mode == trace.ModeSim:
		return opts, refuse(kindInvalid, "The repeat strategy runs on real threads: choose mode os or green, or another strategy for sim mode.")
	case !repeat && m.Mode != trace.ModeSim:
		return opts, refuse(kindInvalid, "The %s strategy chooses sim mode's interleavings: choose mode sim, or the repeat strategy for real threads.", quoteShort(opts.Strategy))
	}
	return opts, nil
}

// startExplore stops the socket's previous run and starts an
// exploration, admitted as a run is.
func (c *conn) startExplore(m ClientMessage) {
	c.stopRun()
	ex, ok := c.s.runner.(Explorer)
	if !ok {
		c.refuse(exploreOff)
		return
	}
	opts, err := exploreOptions(&m)
	if err != nil {
		c.refuse(err)
		return
	}
	m.Schedule = "" // every execution has its own
	req, err := c.s.prepare(m)
	if err != nil {
		c.refuse(err)
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
	if !s.waitForSlot(ctx, client, log, send, nil) {
		return
	}
	defer s.admit.release(client)
	s.metrics.wait.Observe(time.Since(queued).Seconds())
	send(mustJSON(StartedMessage{Type: "started", Run: id, Scenario: req.Scenario, Mode: req.Mode,
		Procs: req.Procs, Seed: req.Seed, Params: req.Params}))
	start := time.Now()
	rep, err := ex.Explore(ctx, req, opts, func(p explore.Progress) {
		send(mustJSON(ProgressMessage{Type: "progress", Progress: p}))
	})
	if err != nil {
		if !s.unavailable(err, log, send) {
			log.Error("exploration failed in the sandbox", "err", err)
			send(mustJSON(exploreFailed(err)))
		}
		return
	}
	log.Info("exploration ended", "schedules", rep.Schedules, "outcomes", len(rep.Outcomes),
		"complete", rep.Complete, "stopped", rep.Stopped, "wall", time.Since(start))
	send(mustJSON(ExploredMessage{Type: "explored", Report: rep}))
}
