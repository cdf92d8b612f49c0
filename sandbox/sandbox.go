// Package sandbox runs one scenario in a child process: the same binary
// re-executed with a hidden argument, fed the request on stdin, writing
// framed events on a pipe. The supervisor side decodes that stream, enforces
// the wall-clock limit and makes sure no child outlives its run.
package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"interleave/sandbox/analysis"
	"interleave/sandbox/engine"
	"interleave/sandbox/isolate"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// Config sets up a Runner. Zero values mean defaults.
type Config struct {
	// Exe is the binary to re-execute as the child; by default the running
	// executable. Tests point it at a binary built without -race.
	Exe string
	// Timeout is the wall-clock limit of one run (default 10 s).
	Timeout time.Duration
	// ExploreTimeout is the wall-clock limit of one exploration, all its
	// runs together (default 60 s, at most MaxExploreTimeout); an
	// exploration may ask for less. The exploring child's CPU limit fits
	// it (twice as many seconds) in place of OS.CPUSeconds, a run's; each
	// run inside keeps the engine's limits.
	ExploreTimeout time.Duration
	// Limits are the engine's limits, applied to every request.
	Limits engine.Limits
	// Level is how hard the OS isolation layers are insisted on; the
	// default is auto: every layer available, a warning for each missing.
	Level isolate.Level
	// OS are the limits the OS layers enforce (CPU, memory, threads).
	OS isolate.Limits
	// MaxScript caps a script's size in bytes (default 64 KiB).
	MaxScript int
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
}

// DefaultTimeout is the wall-clock limit of a run unless configured.
const DefaultTimeout = 10 * time.Second

// DefaultExploreTimeout and MaxExploreTimeout are the wall-clock limit of
// an exploration unless configured, and the most it may be configured to.
const (
	DefaultExploreTimeout = time.Minute
	MaxExploreTimeout     = 10 * time.Minute
)

// maxFrame caps one frame from the child, so a corrupt or hostile child
// cannot make the supervisor allocate without bound.
const maxFrame = 16 << 20

// Runner starts sandboxed runs. It is safe for concurrent use.
type Runner struct {
	exe     string
	timeout time.Duration
	explore time.Duration // an exploration's wall-clock limit
	limits  engine.Limits
	box     *isolate.Box
	maxSrc  int

	removeCopy func() // removes a copy of the executable made for the children, if any

	warm      chan *child   // started children waiting for a request
	done      chan struct{} // closed by Close
	filled    chan struct{} // closed when fill has returned
	closeOnce sync.Once
}

// withDefaults fills the zero fields of a Config, in the one place the
// sandbox has defaults: the OS limits cover at least the scenario
// threads that os mode runs on OS threads.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return cfg, fmt.Errorf("find own executable: %w", err)
		}
		cfg.Exe = exe
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.ExploreTimeout <= 0 {
		cfg.ExploreTimeout = DefaultExploreTimeout
	}
	if cfg.ExploreTimeout > MaxExploreTimeout {
		return cfg, fmt.Errorf("the exploration time limit must be at most %s, not %s", MaxExploreTimeout, cfg.ExploreTimeout)
	}
	if cfg.Level == "" {
		cfg.Level = isolate.Auto
	}
	cfg.OS = cfg.OS.WithDefaults()
	cfg.OS.Threads = max(cfg.OS.Threads, cfg.Limits.Threads)
	if cfg.MaxScript <= 0 {
		cfg.MaxScript = scenarios.MaxSource
	}
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
	box, err := isolate.New(cfg.Level, cfg.OS, exe, probe)
	if err != nil {
		if removeCopy != nil {
			removeCopy()
		}
		return nil, fmt.Errorf("set up sandbox: %w", err)
	}
	r := &Runner{exe: exe, timeout: cfg.Timeout, explore: cfg.ExploreTimeout, limits: cfg.Limits, box: box, maxSrc: cfg.MaxScript, removeCopy: removeCopy}
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

// Timeout returns the wall-clock limit of one run.
func (r *Runner) Timeout() time.Duration { return r.timeout }

// Run runs req in a fresh child and calls onEvents, from the calling
// goroutine, with each batch of events as it arrives; the batch is reused
// after onEvents returns. It always returns a result: a child that could
// not start, crashed or was stopped still yields one, with the events
// already delivered kept. The error is non-nil only when the child could
// not be started, for the server's log.
func (r *Runner) Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error) {
	def := r.limits
	if req.Mode != trace.ModeOS && req.Mode != "" {
		def.Threads = 0 // the thread flag is about OS threads; green and sim keep the engine's default
	}
	req.Limits = mergeLimits(req.Limits, def)
	start := time.Now()
	sum := newSummary(req)

	if len(req.Source) > r.maxSrc {
		return sum.fail(trace.StatusLimit, scenarios.TooLarge(len(req.Source), r.maxSrc)), nil
	}
	if line, col, ok := firstInvalidUTF8(req.Source); ok {
		res := sum.fail(trace.StatusError, fmt.Sprintf("Line %d, column %d: the script is not valid UTF-8 text.", line, col))
		res.Error = &trace.ScriptError{Line: line, Col: col, Msg: "the script is not valid UTF-8 text"}
		return res, nil
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return sum.fail(trace.StatusError, "The run could not be prepared."), fmt.Errorf("encode request: %w", err)
	}
	c, err := r.take()
	if err != nil {
		return sum.fail(trace.StatusError, "The sandbox could not start a run."), err
	}
	defer c.close()
	go c.send(reqJSON)

	runCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	stopWatch := context.AfterFunc(runCtx, c.kill)

	readErr := r.read(c.events, sum, onEvents)
	stopWatch()
	c.kill() // a child that finished has exited already; one that did not must not outlive its run
	<-c.exited
	waitErr := c.waitErr
	stderr, box := c.stderr, c.box
	sum.res.Stats.WallNs = time.Since(start).Nanoseconds()
	sum.res.Stats.CPUNs = c.cpuTime().Nanoseconds() // for runs that end without the child's own result

	facts := causeFacts{lim: r.box.Limits(), timeout: r.timeout, waitErr: waitErr}
	switch {
	case sum.final != nil:
		res := sum.final
		res.Stats.WallNs = sum.res.Stats.WallNs
		sum.an.Finish(res)
		return res, nil
	case errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		return sum.failWith(causeTimeout, facts), nil
	case ctx.Err() != nil:
		return sum.failWith(causeStopped, facts), nil
	}
	why := childDeath(stderr.String(), box.Cause(), waitErr, readErr, c.cpuTime(), facts.lim)
	res := sum.failWith(why, facts)
	switch why {
	case causeCorrupt:
		return res, fmt.Errorf("read child events: %w (stderr: %s)", readErr, stderr.String())
	case causeDied:
		return res, fmt.Errorf("child died: %v (stderr: %s)", waitErr, stderr.String())
	}
	return res, nil
}

// read decodes frames until the child closes the pipe.
func (r *Runner) read(pr io.Reader, sum *summary, onEvents func([]trace.Event)) error {
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
		default:
			return fmt.Errorf("unknown frame type %q", typ)
		}
	}
}

func mergeLimits(req, def engine.Limits) engine.Limits {
	pick := func(a, b int) int {
		if b > 0 && (a <= 0 || a > b) {
			return b
		}
		return a
	}
	req.Threads = pick(req.Threads, def.Threads)
	req.Events = pick(req.Events, def.Events)
	req.Output = pick(req.Output, def.Output)
	if def.Steps > 0 && (req.Steps == 0 || req.Steps > def.Steps) {
		req.Steps = def.Steps
	}
	return req
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
	res   trace.Result
	index map[int]int
	final *trace.Result
	an    *analysis.Analyzer
}

func newSummary(req engine.Request) *summary {
	s := &summary{index: map[int]int{0: 0}, an: analysis.New()}
	s.res = trace.Result{
		Scenario: req.Scenario,
		Mode:     req.Mode,
		Procs:    req.Procs,
		Seed:     req.Seed,
		Params:   req.Params,
		Checks:   []trace.CheckResult{},
		Threads:  []trace.Thread{{ID: 0, Name: "main", Parent: -1, State: trace.ThreadRunning}},
		Cells:    []trace.CellValue{},
	}
	return s
}

func (s *summary) observe(evs []trace.Event) {
	s.an.Add(evs)
	for i := range evs {
		e := &evs[i]
		s.res.Stats.Events++
		if e.K == trace.Spawn && e.V.Kind == trace.VInt {
			id := int(e.V.Int)
			if _, ok := s.index[id]; !ok {
				s.index[id] = len(s.res.Threads)
				s.res.Threads = append(s.res.Threads, trace.Thread{ID: id, Name: e.Obj, Parent: e.Th, State: trace.ThreadRunning})
			}
		}
		if j, ok := s.index[e.Th]; ok {
			t := &s.res.Threads[j]
			t.Events++
			if st, ok := trace.EndState(e.K); ok {
				t.State = st
			}
		}
	}
}

// failWith is the result of a run that ended for the reason why.
func (s *summary) failWith(why cause, f causeFacts) *trace.Result {
	return s.fail(why.status(), why.sentence(f))
}

func (s *summary) fail(status trace.Status, msg string) *trace.Result {
	r := s.res
	r.Status, r.Message = status, msg
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
