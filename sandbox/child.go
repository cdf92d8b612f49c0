package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
)

// ChildArg is the hidden first argument that turns the binary into a
// sandbox child. main checks for it before anything else runs.
const ChildArg = "__interleave_child"

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
	if err := json.NewDecoder(io.LimitReader(os.Stdin, maxRequest)).Decode(&req); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: read request: %v\n", err)
		return 2
	}
	if err := runChild(context.Background(), req, w); err != nil {
		fmt.Fprintf(os.Stderr, "interleave child: %v\n", err)
		return 3
	}
	return 0
}

// runChild runs the request and streams its frames to w. A write error
// means the supervisor is gone; the run cannot be reported, so it stops.
func runChild(ctx context.Context, req engine.Request, w *bufio.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
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
