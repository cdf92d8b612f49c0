package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
)

// stopGrace is how long a child asked to stop (or out of time) has to
// send what it found before it is killed.
const stopGrace = 2 * time.Second

// Explore explores req in one fresh child: many runs under opts'
// strategy, grouped by outcome. onProgress, if not nil, is called from
// the calling goroutine a few times a second. The child stops itself at
// the exploration's wall-clock limit (Limits.Explore, or
// opts.TimeoutNs if sooner), at its CPU limit (see exploreSpec), and
// when ctx ends, and reports what it found; a child that does not is
// killed. It is started for the exploration, not taken warm: a warm
// child has a run's CPU limit.
// The error says why there is no report: options out of range, a script
// too large, a child that could not start or died.
func (r *Runner) Explore(ctx context.Context, req engine.Request, opts explore.Options, onProgress func(explore.Progress)) (*explore.Report, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	req.Limits = req.Limits.Within(r.lim)
	if len(req.Source) > req.Limits.Script {
		return nil, &limits.ScriptSizeError{Size: len(req.Source), Limit: req.Limits.Script}
	}
	if line, col, ok := firstInvalidUTF8(req.Source); ok {
		return nil, fmt.Errorf("line %d, column %d: the script is not valid UTF-8 text", line, col)
	}
	if opts.TimeoutNs <= 0 || opts.TimeoutNs > req.Limits.Explore.Nanoseconds() {
		opts.TimeoutNs = req.Limits.Explore.Nanoseconds()
	}
	wall := time.Duration(opts.TimeoutNs)
	reqJSON, err := json.Marshal(childRequest{Request: req, Explore: &opts})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	c, err := r.spawnWith(r.exploreSpec(wall, req.Mode == trace.ModeOS))
	if err != nil {
		return nil, fmt.Errorf("start explore: %w", err)
	}
	defer c.close()
	go c.send(reqJSON)

	// Asked to stop, the child reports what it found; the wall clock
	// gives it a grace period past its own time limit.
	stopWatch := context.AfterFunc(ctx, func() {
		_ = c.proc.signal(stopSignal, false)
		time.AfterFunc(stopGrace, c.kill)
	})
	hardStop := time.AfterFunc(wall+stopGrace, c.kill)
	rep, readErr := readExplore(c.events, onProgress)
	stopWatch()
	hardStop.Stop()
	c.kill()
	<-c.exited
	switch {
	case rep != nil:
		return rep, nil
	case readErr != nil:
		return nil, fmt.Errorf("read explore frames: %w (stderr: %s)", readErr, c.stderr.String())
	}
	return nil, fmt.Errorf("the exploring process ended without a report: %s (stderr: %s)", exitCause(c.waitErr), c.stderr.String())
}

// exploreSpec is the box's spec with a CPU limit that fits an exploration
// of the given wall time, so that the wall time is what ends it: twice as
// many seconds (sim mode keeps one core busy, the collector part of
// another; repeat in os mode runs threads on both), and never less than
// a run's. It also returns the limits that size the child's cgroup. Repeat
// in os mode starts a run's OS threads while the last run's may still be
// exiting (a thread's goroutine ends before the kernel lets its task go,
// and the Go runtime keeps idle threads of its own), so the cgroup's pids
// limit has room for two runs' threads; the script's own limit, which the
// engine counts, stays a run's. At one run's room, a script at the thread
// limit took the process past it within seconds, and the Go runtime aborts
// when it cannot make a thread.
func (r *Runner) exploreSpec(wall time.Duration, osThreads bool) (isolate.Spec, limits.Limits) {
	spec := r.box.Spec()
	if spec.Rlimits {
		secs := int((2*wall + time.Second - 1) / time.Second)
		spec.Limits.CPUSeconds = max(spec.Limits.CPUSeconds, secs)
	}
	cgroup := spec.Limits
	if osThreads {
		cgroup.Threads *= 2
	}
	return spec, cgroup
}

// readExplore decodes an exploring child's frames until it closes the
// pipe.
func readExplore(pr io.Reader, onProgress func(explore.Progress)) (*explore.Report, error) {
	br := bufio.NewReaderSize(pr, 64<<10)
	var (
		buf []byte
		rep *explore.Report
	)
	for {
		typ, payload, err := trace.ReadFrame(br, buf, maxFrame)
		buf = payload
		if errors.Is(err, io.EOF) {
			return rep, nil
		}
		if err != nil {
			return rep, err
		}
		switch typ {
		case trace.FrameHello:
		case trace.FrameProgress:
			var p explore.Progress
			if err := json.Unmarshal(payload, &p); err != nil {
				return rep, fmt.Errorf("decode progress: %w", err)
			}
			if onProgress != nil {
				onProgress(p)
			}
		case trace.FrameExplored:
			rep = &explore.Report{}
			if err := json.Unmarshal(payload, rep); err != nil {
				return nil, fmt.Errorf("decode report: %w", err)
			}
		default:
			return rep, fmt.Errorf("unexpected frame type %q", typ)
		}
	}
}
