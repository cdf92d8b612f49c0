// Package sandbox runs one scenario in a child process: the same binary
// re-executed with a hidden argument, fed the request on stdin, writing
// framed events on a pipe. The supervisor side decodes that stream, enforces
// the wall-clock limit and makes sure no child outlives its run.
package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"interleave/limits"
	"interleave/sandbox/analysis"
	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// Config sets up a Runner. Zero values mean defaults.
type Config struct {
	// Exe is the binary to start as the child. By default it is the
	// lean build (LeanBinary) when one built from the same
	// source sits beside the running executable, and else the running
	// executable itself. Tests point it at a binary built without -race.
	Exe string
	// Limits are every run's limits: a request's own may be tighter,
	// never looser. Zero fields mean the defaults (limits.WithDefaults).
	Limits limits.Limits
	// Level is how hard the OS isolation layers are insisted on; the
	// default is auto: every layer available, a warning for each missing.
	Level isolate.Level
	// Warm is how many children are kept started and waiting for a
	// request, so that a run does not wait for a process to start. Zero
	// starts each child on demand. A Runner with warm children must be
	// closed.
	Warm int
	// NoProbe skips the probe child that proves the namespaces at start:
	// the first run's child proves them instead (for a one-run command,
	// which would otherwise start two processes). It applies when Exe is
	// empty and the level is not Strict, which must prove its layers first.
	NoProbe bool
	// Spawner starts the children from a small spawner process rather
	// than by forking this one (see spawner.go): what a long-lived server
	// with a large heap wants, not a one-run command, which would pay a
	// second process start.
	Spawner bool
	// Logger is told when the spawner ends or is killed; nil is
	// slog.Default().
	Logger *slog.Logger
}

// maxFrame caps one frame from the child, so a corrupt or hostile child
// cannot make the supervisor allocate without bound.
const maxFrame = 16 << 20

// Runner starts sandboxed runs. It is safe for concurrent use.
type Runner struct {
	exe string
	lim limits.Limits // filled in full
	box *isolate.Box

	removeCopy func()   // removes a copy of the executable made for the children, if any
	spawner    *spawner // starts the children, if set; else the Runner forks them

	warm      chan *child   // started children waiting for a request
	done      chan struct{} // closed by Close
	filled    chan struct{} // closed when fill has returned
	closeOnce sync.Once
}

// withDefaults fills the zero fields of a Config, the limits by
// limits.WithDefaults.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("find own executable: %w", err)
		}
		cfg.Exe = exe
		if lean := leanChild(exe, ownBuild(), buildStamp); lean != "" {
			cfg.Exe = lean
		}
	}
	if cfg.Limits.Explore > limits.MaxExplore {
		return cfg, fmt.Errorf("the exploration time limit must be at most %s, not %s", limits.MaxExplore, cfg.Limits.Explore)
	}
	if cfg.Level == "" {
		cfg.Level = isolate.Auto
	}
	cfg.Limits = cfg.Limits.WithDefaults()
	return cfg, nil
}

// New checks the configuration and returns a Runner.
func New(cfg Config) (*Runner, error) {
	ownExe := cfg.Exe == ""
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	exe := cfg.Exe
	if _, err := os.Stat(exe); err != nil {
		return nil, fmt.Errorf("check child executable: %w", err)
	}
	var removeCopy func()
	if cfg.Level != isolate.Off {
		if exe, removeCopy, err = executableByAll(exe); err != nil {
			return nil, fmt.Errorf("set up sandbox: %w", err)
		}
	}
	probe := ProbeArg
	if cfg.NoProbe && ownExe && cfg.Level != isolate.Strict {
		probe = ""
	}
	box, err := isolate.New(cfg.Level, cfg.Limits, exe, probe)
	if err != nil {
		if removeCopy != nil {
			removeCopy()
		}
		return nil, fmt.Errorf("set up sandbox: %w", err)
	}
	r := &Runner{exe: exe, lim: cfg.Limits, box: box, removeCopy: removeCopy}
	if cfg.Spawner {
		r.spawner = newSpawner(exe, cfg.Logger)
	}
	if cfg.Warm > 0 {
		// fill blocks holding one more started child than the channel.
		r.warm = make(chan *child, max(cfg.Warm-1, 0))
		r.done, r.filled = make(chan struct{}), make(chan struct{})
		go r.fill()
	}
	return r, nil
}

// Layers reports the isolation layers in force, for logs and /healthz.
func (r *Runner) Layers() isolate.Layers { return r.box.Layers() }

// Limits returns the limits of every run, filled in full.
func (r *Runner) Limits() limits.Limits { return r.lim }

// Run runs req in a fresh child and calls onEvents, from the calling
// goroutine, with each batch of events as it arrives; the batch is reused
// after onEvents returns. It always returns a result: a child that could
// not start, crashed or was stopped still yields one, with the events
// already delivered kept. The error is non-nil only when the child could
// not be started, for the server's log.
func (r *Runner) Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error) {
	return r.run(ctx, req, onEvents, nil)
}

// run is Run, or with t an interactive run (see Interact).
func (r *Runner) run(ctx context.Context, req engine.Request, onEvents func([]trace.Event), t *talk) (*trace.Result, error) {
	req.Limits = req.Limits.Within(r.lim)
	start := time.Now()
	sum := newSummary(req)
	reqJSON, res, err := r.encodeRequest(req, sum, t != nil)
	if res != nil || err != nil {
		return res, err
	}
	c, err := r.take()
	if err != nil {
		return sum.fail(trace.StatusError, "The sandbox could not start a run."), err
	}
	defer c.close()
	w := newWatch(c.kill)
	w.arm(req.Limits.Wall, causeTimeout) // computing; an interactive run re-arms it at each choice and pick
	if t == nil {
		go c.send(reqJSON)
	} else {
		t.w, t.timeout = w, req.Limits.Wall
		t.start(c, reqJSON)
	}
	stopWatch := context.AfterFunc(ctx, c.kill)
	readErr := r.read(c.events, sum, onEvents, t)
	stopWatch()
	fired := w.stop()
	c.kill() // a child that finished has exited already; one that did not must not outlive its run
	<-c.exited
	if t != nil {
		t.wait()
	}
	sum.tally.Stats().WallNs = time.Since(start).Nanoseconds()
	sum.tally.Stats().CPUNs = c.cpuTime().Nanoseconds() // for runs that end without the child's own result
	return r.ending(ctx, c, sum, fired, readErr, t, req.Limits.Wall)
}

// encodeRequest checks the script and encodes the child's request; a
// script refused here gets its result, and no child starts.
func (r *Runner) encodeRequest(req engine.Request, sum *summary, interactive bool) ([]byte, *trace.Result, error) {
	if len(req.Source) > req.Limits.Script {
		return nil, sum.fail(trace.StatusLimit, limits.ScriptTooLarge(len(req.Source), req.Limits.Script)), nil
	}
	if line, col, ok := firstInvalidUTF8(req.Source); ok {
		res := sum.fail(trace.StatusError, fmt.Sprintf("Line %d, column %d: the script is not valid UTF-8 text.", line, col))
		res.Error = &trace.ScriptError{Line: line, Col: col, Msg: "the script is not valid UTF-8 text"}
		return nil, res, nil
	}
	reqJSON, err := json.Marshal(childRequest{Request: req, Interactive: interactive})
	if err != nil {
		return nil, sum.fail(trace.StatusError, "The run could not be prepared."), fmt.Errorf("encode request: %w", err)
	}
	return reqJSON, nil, nil
}

// ending is the result of a run whose child has been reaped: its own, or
// why it has none.
func (r *Runner) ending(ctx context.Context, c *child, sum *summary, fired cause, readErr error, t *talk, wall time.Duration) (*trace.Result, error) {
	facts := causeFacts{lim: r.box.Limits(), timeout: wall, waitErr: c.waitErr}
	if t != nil {
		facts.idle = t.idle
	}
	switch {
	case sum.final != nil:
		res := sum.final
		res.Stats.WallNs = sum.tally.Stats().WallNs
		sum.an.Finish(res)
		return res, nil
	case fired != 0 && ctx.Err() == nil:
		return sum.failWith(fired, facts), nil
	case ctx.Err() != nil:
		return sum.failWith(causeStopped, facts), nil
	}
	stderr := c.stderr.String()
	why := childDeath(stderr, c.box.Cause(), c.waitErr, readErr, c.cpuTime(), facts.lim)
	res := sum.failWith(why, facts)
	switch why {
	case causeCorrupt:
		return res, fmt.Errorf("read child events: %w (stderr: %s)", readErr, stderr)
	case causeDied:
		return res, fmt.Errorf("child died: %v (stderr: %s)", c.waitErr, stderr)
	}
	return res, nil
}

// read decodes frames until the child closes the pipe; t, for an
// interactive run, takes its choices and restarts.
func (r *Runner) read(pr io.Reader, sum *summary, onEvents func([]trace.Event), t *talk) error {
	br := bufio.NewReaderSize(pr, 64<<10)
	var (
		buf   []byte
		batch []trace.Event
		dec   trace.Decoder
	)
	for {
		typ, payload, err := trace.ReadFrame(br, buf, maxFrame)
		buf = payload
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch typ {
		case trace.FrameHello:
		case trace.FrameEvents:
			batch, err = dec.Decode(batch[:0], payload)
			if err != nil {
				return fmt.Errorf("decode events: %w", err)
			}
			sum.observe(batch)
			if onEvents != nil {
				onEvents(batch)
			}
		case trace.FrameResult:
			var res trace.Result
			if err := scenarios.UnmarshalJSON(payload, &res); err != nil { // params stay exact
				return fmt.Errorf("decode result: %w", err)
			}
			sum.final = &res
		case trace.FrameChoice, trace.FrameRestart, trace.FrameRefused:
			if t == nil {
				return fmt.Errorf("unexpected frame type %q", typ)
			}
			if err := t.frame(typ, payload, sum); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown frame type %q", typ)
		}
	}
}

// firstInvalidUTF8 locates the first byte of s that is not UTF-8.
func firstInvalidUTF8(s string) (line, col int, found bool) {
	if utf8.ValidString(s) {
		return 0, 0, false
	}
	line, col = 1, 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return line, col, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	return line, col, true
}

// runSeq numbers runs so that concurrent runs never share a cgroup name.
var runSeq atomic.Int64

// summary follows the events of a run so that a run which ends without
// the child's own result (timeout, stop, crash) still reports its threads
// and counts. It also feeds the analysis, which sees the child's whole
// stream here, before any client that reads slowly has events dropped.
type summary struct {
	tally trace.Tally
	final *trace.Result
	an    *analysis.Analyzer
	req   engine.Request
}

// reset forgets the events so far: an interactive run starts again.
func (s *summary) reset() { *s = *newSummary(s.req) }

func newSummary(req engine.Request) *summary {
	return &summary{req: req, tally: trace.NewTally(req.Head()), an: analysis.New()}
}

func (s *summary) observe(evs []trace.Event) {
	s.an.Add(evs)
	s.tally.Observe(evs)
}

// failWith is the result of a run that ended for the reason why.
func (s *summary) failWith(why cause, f causeFacts) *trace.Result {
	return s.fail(why.status(), why.sentence(f))
}

func (s *summary) fail(status trace.Status, msg string) *trace.Result {
	r := s.tally.Result(status, msg)
	s.an.Finish(&r)
	return &r
}

// tailBuffer keeps the first and the last bytes written to it, up to max
// in all: a crashed child's cause is at the start of its stderr (the
// runtime's fatal error) and at the end (the last words of a script).
type tailBuffer struct {
	mu   sync.Mutex
	max  int
	head []byte
	b    []byte
	cut  bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := t.max/4 - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max*3/4; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
		t.cut = true
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.cut {
		sep = "\n[...]\n"
	}
	return strings.TrimSpace(string(t.head) + sep + string(t.b))
}
