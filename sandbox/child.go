package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"time"

	"interleave/limits"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
)

// ChildArg is the hidden first argument that turns the binary into a
// sandbox child. main checks for it before anything else runs. The second
// argument is the isolate.Spec the child enters.
const ChildArg = "__interleave_child"

// ProbeArg is the hidden first argument of a probe child, which enters
// the sandbox and reports what it sees (see isolate.ProbeMain).
const ProbeArg = "__interleave_probe"

// eventsFD is the file descriptor of the event pipe in the child: the
// first of exec.Cmd's ExtraFiles.
const eventsFD = 3

// maxRequest caps the JSON request read from stdin: the script (64 KiB by
// default, capped again by the engine) plus params, with room to spare.
const maxRequest = 4 << 20

// ChildMain is the child's entry point: it reads one Request from stdin,
// runs it, and writes framed events and the result to fd 3. It returns the
// process exit code.
func ChildMain() int {
	start := time.Now()
	var spec isolate.Spec
	if len(os.Args) > 2 {
		var err error
		if spec, err = isolate.DecodeSpec(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
			return 2
		}
	}
	// Into the run's cgroups first; then hold nothing but stdio and the
	// event pipe.
	if err := isolate.JoinCgroups(spec); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
		return 2
	}
	if err := isolate.CloseInherited(eventsFD + 1); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
		return 2
	}
	// Lock down before reading anything a stranger wrote.
	if err := isolate.Enter(spec); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: enter sandbox: %v\n", err)
		return 2
	}
	// The supervisor started the runtime on one P (see spawn); the
	// script's environment gets nothing of it.
	os.Unsetenv("GOMAXPROCS")
	// Runaway recursion ends as a limit rather than eating the memory.
	debug.SetMaxStack(spec.Limits.StackBytes())
	out := os.NewFile(eventsFD, "events")
	if out == nil {
		fmt.Fprintln(os.Stderr, "interleave child: no event pipe on fd 3")
		return 2
	}
	w := bufio.NewWriterSize(out, 64<<10)
	if err := trace.WriteFrame(w, trace.FrameHello, strconv.AppendInt(nil, start.UnixNano(), 10)); err != nil {
		return 3
	}
	if err := w.Flush(); err != nil {
		return 3
	}
	warmChild()
	var req childRequest
	dec := json.NewDecoder(io.LimitReader(os.Stdin, maxRequest))
	dec.UseNumber() // int params stay exact, as the server resolved them
	if err := dec.Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: read request: %v\n", err)
		return 2
	}
	if realThreads(req) {
		runtime.SetDefaultGOMAXPROCS()
	}
	run := runChild
	switch {
	case req.Explore != nil:
		run = runExplore(*req.Explore)
	case req.Interactive:
		// The picks follow the request on stdin, some perhaps read
		// into the decoder's buffer already.
		run = runInteractive(io.MultiReader(dec.Buffered(), os.Stdin))
	}
	if err := run(context.Background(), req.Request, w, spec.Limits); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
		return 3
	}
	return 0
}

// realThreads reports whether the request runs on real threads (os or
// green mode, an exploration that repeats them), which get the default
// number of Ps. Sim runs, explorations in sim mode and interactive runs
// execute one interpreter at a time and stay on the one P the child
// started with: with two, every hand-off between script threads made
// the runtime wake the idle P, which found nothing to do (sim runs per
// second x1.7-1.9, BenchmarkSimLostUpdate, docs/benchmarks.md).
func realThreads(req childRequest) bool {
	if req.Explore != nil {
		return req.Explore.Strategy == explore.Repeat || (req.Mode != "" && req.Mode != trace.ModeSim)
	}
	return req.Mode != trace.ModeSim
}

// runChild runs the request and streams its frames to w. A write error
// means the supervisor is gone; the run cannot be reported, so it stops.
func runChild(ctx context.Context, req engine.Request, w *bufio.Writer, lim limits.Limits) error {
	ctx, cancel := guard(ctx, lim)
	defer cancel()
	var (
		buf      []byte
		writeErr error
	)
	emit := func(batch []trace.Event) {
		if writeErr != nil {
			return
		}
		var err error
		if buf, err = writeEvents(w, buf, batch); err != nil {
			writeErr = err
			cancel()
		}
	}
	res := engine.Run(ctx, req, emit)
	if writeErr != nil {
		return fmt.Errorf("write events: %w", writeErr)
	}
	return writeResult(ctx, w, res, lim)
}

// writeEvents writes a batch of events and flushes them; buf is scratch
// space, returned for the next batch.
func writeEvents(w *bufio.Writer, buf []byte, batch []trace.Event) ([]byte, error) {
	// A batch goes out in frames of about frameBudget bytes, well under
	// the supervisor's maxFrame: one event is small (its texts are
	// clipped to trace.MaxText), a batch may hold many.
	for len(batch) > 0 {
		buf = buf[:0]
		i := 0
		for ; i < len(batch) && len(buf) < frameBudget; i++ {
			buf = batch[i].AppendBinary(buf)
		}
		batch = batch[i:]
		if err := trace.WriteFrame(w, trace.FrameEvents, buf); err != nil {
			return buf, err
		}
	}
	// Each batch is flushed at once: the page shows events live, and the
	// engine already batches by time.
	return buf, w.Flush()
}

// writeResult writes the run's result, with the limit that stopped it if
// one did, and flushes it.
func writeResult(ctx context.Context, w *bufio.Writer, res *trace.Result, lim limits.Limits) error {
	var le *limitError
	if errors.As(context.Cause(ctx), &le) {
		res.Status, res.Message = le.cause.status(), le.cause.sentence(causeFacts{lim: lim})
	}
	res.Events = nil
	b, err := encodeResult(res)
	if err != nil {
		return err
	}
	if err := trace.WriteFrame(w, trace.FrameResult, b); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// guard stops ctx when the child nears its memory or CPU limit, with a
// limitError as the cause. The returned function cancels ctx and stops
// watching; it may be called more than once.
func guard(ctx context.Context, lim limits.Limits) (context.Context, func()) {
	return guardHeld(ctx, lim, nil)
}

// guardHeld is guard whose memory watch can be held: a channel received
// from hold pauses it until that channel is closed (see watchMemory).
func guardHeld(ctx context.Context, lim limits.Limits, hold <-chan chan struct{}) (context.Context, func()) {
	ctx, cancelCause := context.WithCancelCause(ctx)
	var stops []func()
	switch {
	case lim.MemoryBytes > 0:
		stops = append(stops, watchMemory(lim.MemoryBytes, cancelCause, hold))
	case hold != nil:
		go func() { // no watch to hold: take each hold so no one waits on it
			for {
				select {
				case <-hold:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	if lim.CPUSeconds > 0 {
		// RLIMIT_CPU sends SIGXCPU at the soft limit (and SIGKILL a
		// second later): stop the run cleanly while there is time.
		xcpu := make(chan os.Signal, 1)
		signal.Notify(xcpu, syscall.SIGXCPU)
		stops = append(stops, func() { signal.Stop(xcpu) })
		go func() {
			select {
			case <-xcpu:
				cancelCause(&limitError{causeCPU})
			case <-ctx.Done():
			}
		}()
	}
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			cancelCause(nil)
			for _, stop := range stops {
				stop()
			}
		})
	}
}

// frameBudget is the size at which the child closes a frame of events.
const frameBudget = 1 << 20

// encodeResult encodes the result for its frame. A result too large for
// maxFrame (a script that made a hundred thousand checks or cells, each
// with a long text, or ten thousand threads with long names) shortens
// thread names and keeps fewer checks and cells, halving until it fits,
// and says so in its message.
func encodeResult(res *trace.Result) ([]byte, error) {
	b, err := json.Marshal(res)
	if err != nil || len(b) <= maxFrame-frameSlack {
		return b, wrapEncode(err)
	}
	for i := range res.Threads {
		t := &res.Threads[i]
		t.Name, t.Panic = trace.Clip(t.Name, 64), trace.Clip(t.Panic, 256)
	}
	checks, cells, msg := res.Checks, res.Cells, res.Message
	for keep := max(len(checks), len(cells)); ; keep /= 2 {
		res.Checks, res.Cells = checks[:min(keep, len(checks))], cells[:min(keep, len(cells))]
		if keep < max(len(checks), len(cells)) {
			res.Message = fmt.Sprintf("%s (The result lists the first %d of %s and %d of %s: all of them would not fit the pipe.)",
				msg, len(res.Checks), countOf(len(checks), "check"), len(res.Cells), countOf(len(cells), "cell"))
		}
		if b, err = json.Marshal(res); err != nil || len(b) <= maxFrame-frameSlack || keep == 0 {
			return b, wrapEncode(err)
		}
	}
}

func wrapEncode(err error) error {
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	return nil
}

// frameSlack leaves room under maxFrame for what encodeResult does not
// shrink (threads, params, output).
const frameSlack = 1 << 20

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// watchMemory stops the run cleanly, with its events, when the Go heap
// grows past limit: the cgroup and RLIMIT_DATA sit above it as backstops
// that kill instead. It returns a function that stops the watch. A
// channel received from hold (nil: never) pauses the watch until it is
// closed: an interactive run waiting for its person allocates nothing,
// and a ticker there would spend its CPU time limit over minutes.
func watchMemory(limit int64, stopRun context.CancelCauseFunc, hold <-chan chan struct{}) func() {
	// Let the collector work hard before the limit rather than after.
	debug.SetMemoryLimit(limit * 9 / 10)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case resume := <-hold:
				t.Stop()
				select {
				case <-resume:
					t.Reset(5 * time.Millisecond)
				case <-done:
					return
				}
			case <-t.C:
				metrics.Read(sample)
				if v := sample[0].Value; v.Kind() == metrics.KindUint64 && int64(v.Uint64()) > limit {
					stopRun(&limitError{causeMemory})
					return
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
