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
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"

	"interleave/sandbox/engine"
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
	// Lock down before reading anything a stranger wrote.
	if err := isolate.Enter(spec); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: enter sandbox: %v\n", err)
		return 2
	}
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
	var req engine.Request
	dec := json.NewDecoder(io.LimitReader(os.Stdin, maxRequest))
	dec.UseNumber() // int params stay exact, as the server resolved them
	if err := dec.Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: read request: %v\n", err)
		return 2
	}
	if err := runChild(context.Background(), req, w, spec.Limits); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
		return 3
	}
	return 0
}

// runChild runs the request and streams its frames to w. A write error
// means the supervisor is gone; the run cannot be reported, so it stops.
func runChild(ctx context.Context, req engine.Request, w *bufio.Writer, lim isolate.Limits) error {
	ctx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil) }
	defer cancel()
	if lim.MemoryBytes > 0 {
		stop := watchMemory(lim.MemoryBytes, cancelCause)
		defer stop()
	}
	if lim.CPUSeconds > 0 {
		// RLIMIT_CPU sends SIGXCPU at the soft limit (and SIGKILL a
		// second later): stop the run cleanly while there is time.
		xcpu := make(chan os.Signal, 1)
		signal.Notify(xcpu, syscall.SIGXCPU)
		defer signal.Stop(xcpu)
		go func() {
			select {
			case <-xcpu:
				cancelCause(&limitError{causeCPU})
			case <-ctx.Done():
			}
		}()
	}
	var (
		buf      []byte
		writeErr error
	)
	emit := func(batch []trace.Event) {
		if writeErr != nil {
			return
		}
		buf = buf[:0]
		for i := range batch {
			buf = batch[i].AppendBinary(buf)
		}
		if err := trace.WriteFrame(w, trace.FrameEvents, buf); err != nil {
			writeErr = err
			cancel()
			return
		}
		// Each batch is flushed at once: the page shows events live, and
		// the engine already batches by time.
		if err := w.Flush(); err != nil {
			writeErr = err
			cancel()
		}
	}
	res := engine.Run(ctx, req, emit)
	var le *limitError
	if errors.As(context.Cause(ctx), &le) {
		res.Status, res.Message = le.cause.status(), le.cause.sentence(causeFacts{lim: lim})
	}
	if writeErr != nil {
		return fmt.Errorf("write events: %w", writeErr)
	}
	res.Events = nil
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := trace.WriteFrame(w, trace.FrameResult, b); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

// watchMemory stops the run cleanly, with its events, when the Go heap
// grows past limit: the cgroup and RLIMIT_DATA sit above it as backstops
// that kill instead. It returns a function that stops the watch.
func watchMemory(limit int64, stopRun context.CancelCauseFunc) func() {
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
