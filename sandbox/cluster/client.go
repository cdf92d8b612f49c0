package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/prometheus/client_golang/prometheus"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// publishTimeout bounds how long a run waits for the queue to accept it
// before the server answers busy.
const publishTimeout = 2 * time.Second

// unreachable is the busy answer when the queue cannot be reached.
const unreachable = "The runners cannot be reached right now; try again in a minute."

// UnavailableError means a run could not be handed to the cluster: NATS
// cannot be reached or the queue did not accept the run. The server
// answers busy with Reason rather than making the student wait.
type UnavailableError struct {
	Reason string // a sentence for the user
	Err    error
}

func (e *UnavailableError) Error() string { return "cluster unavailable: " + e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable returns the sentence the user is told.
func (e *UnavailableError) Unavailable() string { return e.Reason }

// Client hands runs to the cluster's runners and streams their events
// back. It is safe for concurrent use; it satisfies server.Runner.
type Client struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger

	ready     atomic.Bool // the stream and its consumer exist
	connected atomic.Bool
	queue     atomic.Int64 // runs waiting in the queue, as last seen
	queueWait time.Duration
	waiting   atomic.Int64         // this server's runs waiting in the queue
	line      atomic.Pointer[line] // the queue as last seen while runs wait

	mu      sync.Mutex
	runners map[string]seenRunner
	stream  jetstream.Stream

	presSub *nats.Subscription
	kick    chan struct{} // the connection is up: set up the queue now
	done    chan struct{}
	wg      sync.WaitGroup
}

type seenRunner struct {
	at          time.Time
	slots, free int
}

// NewClient connects to NATS (in the background if it is not up yet),
// creates the work queue when it is missing, and follows the runners'
// presence.
func NewClient(o Options, log *slog.Logger) (*Client, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &Client{log: log, runners: map[string]seenRunner{}, kick: make(chan struct{}, 1), done: make(chan struct{}), queueWait: o.QueueWait}
	if c.queueWait <= 0 {
		c.queueWait = DefaultQueueWait
	}
	if o.Name == "" {
		o.Name = "interleave-server"
	}
	nc, err := connect(o, func(up bool) {
		c.connected.Store(up)
		if up {
			select {
			case c.kick <- struct{}{}:
			default:
			}
			log.Info("nats connected", "url", o.URL)
		} else {
			log.Warn("nats disconnected: runs are refused as busy until it is back")
		}
	})
	if err != nil {
		return nil, err
	}
	c.nc = nc
	c.connected.Store(nc.IsConnected())
	if c.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	if c.presSub, err = nc.Subscribe(SubjectPresence, c.onPresence); err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe to runner presence: %w", err)
	}
	c.wg.Add(2)
	go c.maintain()
	go c.watchLine()
	return c, nil
}

// Close stops following the cluster and closes the connection.
func (c *Client) Close() {
	close(c.done)
	c.wg.Wait()
	c.nc.Close()
}

// EnsureQueue creates the stream and its consumer if they do not exist:
// a work queue, kept on disk, in which each run is taken by one runner.
// What exists is taken as it is, not updated: several servers and
// runners ensure the queue at once as they connect, and an update of the
// stream racing another's creation of the consumer trips the NATS
// server's own race detector.
func EnsureQueue(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := js.Stream(ctx, Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:      Stream,
			Subjects:  []string{SubjectRuns},
			Retention: jetstream.WorkQueuePolicy,
			Storage:   jetstream.FileStorage,
			MaxAge:    time.Hour, // a run nobody took in an hour has long been given up
		})
	}
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", Stream, err)
	}
	_, err = st.Consumer(ctx, Consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		_, err = st.CreateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:   Consumer,
			AckPolicy: jetstream.AckExplicitPolicy,
			// A runner acknowledges a run as it starts it, within
			// milliseconds of taking it; one that died first gives it
			// up to another runner after this.
			AckWait:    4 * time.Second,
			MaxWaiting: 4096,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", Consumer, err)
	}
	return st, nil
}

// maintain creates the queue once NATS is reachable and keeps the queue
// depth and the list of runners fresh.
func (c *Client) maintain() {
	defer c.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if !c.ready.Load() && c.nc.IsConnected() {
			if st, err := EnsureQueue(ctx, c.js); err != nil {
				c.log.Warn("cannot set up the run queue yet", "err", err)
			} else {
				c.mu.Lock()
				c.stream = st
				c.mu.Unlock()
				c.ready.Store(true)
			}
		}
		if c.ready.Load() && c.nc.IsConnected() {
			c.mu.Lock()
			st := c.stream
			c.mu.Unlock()
			if info, err := st.Info(ctx); err == nil {
				c.queue.Store(int64(info.State.Msgs))
			}
		}
		cancel()
		c.mu.Lock()
		for id, r := range c.runners {
			if time.Since(r.at) > presenceTTL {
				delete(c.runners, id)
			}
		}
		c.mu.Unlock()
		select {
		case <-c.done:
			return
		case <-t.C:
		case <-c.kick:
		}
	}
}

func (c *Client) onPresence(m *nats.Msg) {
	var p presence
	if err := jsonUnmarshal(m.Data, &p); err != nil || p.Runner == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p.Gone {
		delete(c.runners, p.Runner)
		return
	}
	c.runners[p.Runner] = seenRunner{at: time.Now(), slots: p.Slots, free: p.Free}
}

// Health is the cluster as this server sees it, for /healthz.
type Health struct {
	Connected bool  `json:"connected"`
	Ready     bool  `json:"ready"`      // the work queue is set up
	Runners   int   `json:"runners"`    // runners heard from in the last 3 s
	Slots     int   `json:"slots"`      // their run slots in all
	FreeSlots int   `json:"free_slots"` // of which free
	Queue     int64 `json:"queue"`      // runs waiting in the work queue, over all servers
}

// Health reports the cluster's state.
func (c *Client) Health() Health {
	h := Health{Connected: c.connected.Load(), Ready: c.ready.Load(), Queue: c.queue.Load()}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.runners {
		if time.Since(r.at) > presenceTTL {
			continue
		}
		h.Runners++
		h.Slots += r.slots
		h.FreeSlots += r.free
	}
	return h
}

// Unhealthy says, in a sentence for /healthz, why this server cannot run
// anything now: it is cut off from NATS, the queue is not set up, or no
// runner has announced itself within the last 3 s. It is empty when
// runs can go through.
func (c *Client) Unhealthy() string {
	h := c.Health()
	switch {
	case !h.Connected:
		return "The server is not connected to NATS, so no run can reach a runner; it keeps reconnecting."
	case !h.Ready:
		return "The server is connected to NATS but has not set up the run queue yet."
	case h.Runners == 0:
		return fmt.Sprintf("No runner has announced itself in the last %v, so runs would only wait in the queue.", presenceTTL)
	}
	return ""
}

// Collectors are the cluster's gauges for the server's /metrics.
func (c *Client) Collectors() []prometheus.Collector {
	g := func(name, help string, f func(Health) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(c.Health()) })
	}
	return []prometheus.Collector{
		g("interleave_cluster_connected", "1 when the server is connected to NATS.", func(h Health) float64 {
			if h.Connected {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "interleave_cluster_healthy", Help: "1 when /healthz says ok: NATS connected, the queue set up, a runner heard in the last 3 s."}, func() float64 {
			if c.Unhealthy() != "" {
				return 0
			}
			return 1
		}),
		g("interleave_cluster_runners", "Runners heard from in the last 3 s.", func(h Health) float64 { return float64(h.Runners) }),
		g("interleave_cluster_slots", "Run slots of those runners.", func(h Health) float64 { return float64(h.Slots) }),
		g("interleave_cluster_free_slots", "Free run slots of those runners.", func(h Health) float64 { return float64(h.FreeSlots) }),
		g("interleave_cluster_queue_length", "Runs waiting in the cluster's work queue.", func(h Health) float64 { return float64(h.Queue) }),
	}
}

// MarshalJSON lets the client sit in the server's /healthz fields and
// report its state as of each request.
func (c *Client) MarshalJSON() ([]byte, error) { return jsonMarshal(c.Health()) }

// Run queues req, waits for a runner to take it and streams its events to
// onEvents from the calling goroutine. Like the local sandbox it always
// returns a result; the error is an *UnavailableError when the cluster
// could not take the run or no runner took it in time.
func (c *Client) Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error) {
	return c.RunQueued(ctx, req, nil, nil, onEvents)
}

// RunQueued is Run telling the caller, from the calling goroutine, the
// run's position in the cluster's queue (counted from 1, over the runs of
// every server) whenever it changes, and when a runner starts it, before
// its first events. queued and started may be nil.
func (c *Client) RunQueued(ctx context.Context, req engine.Request, queued func(position int), started func(), onEvents func([]trace.Event)) (*trace.Result, error) {
	f := c.newFollower(req)
	f.queued, f.started, f.onEvents = queued, started, onEvents
	return c.submit(ctx, f, work{ID: nuid.Next(), Req: req})
}

func (c *Client) newFollower(req engine.Request) *follower {
	return &follower{c: c, sum: newPartial(req)}
}

// submit queues wk and follows it with f until its end.
func (c *Client) submit(ctx context.Context, f *follower, wk work) (*trace.Result, error) {
	if !c.ready.Load() || !c.nc.IsConnected() {
		return f.sum.unavailable(unreachable, errors.New("not connected to nats"))
	}
	sub, err := c.nc.SubscribeSync(eventSubject(wk.ID))
	if err != nil {
		return f.sum.unavailable(unreachable, fmt.Errorf("subscribe to run events: %w", err))
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, 256<<20); err != nil {
		return f.sum.unavailable(unreachable, fmt.Errorf("set pending limits: %w", err))
	}
	f.id, f.sub, f.deadline, f.inLine = wk.ID, sub, time.Now().Add(c.queueWait), true
	wk.Deadline = f.deadline
	c.waiting.Add(1)
	defer f.leaveLine()
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	ack, err := c.js.Publish(pctx, SubjectRuns, mustJSON(wk))
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		return f.sum.fail(trace.StatusStopped, "The run was stopped."), nil
	case err != nil:
		return f.sum.unavailable(unreachable, fmt.Errorf("queue run: %w", err))
	}
	f.seq = ack.Sequence
	return f.follow(ctx)
}

// follower is one run as its server follows it: in the queue, then on
// its runner.
type follower struct {
	c        *Client
	id       string
	seq      uint64 // the run's message in the stream
	sub      *nats.Subscription
	sum      *partial
	deadline time.Time
	queued   func(position int)
	started  func()
	onEvents func([]trace.Event)
	// An exploration's progress callback, and its last message once it
	// came; an interactive run's callbacks.
	onProgress func(explore.Progress)
	explored   *explored
	in         *sandbox.Interaction
	gotResult  bool // the runner sent a run's result

	inLine           bool // counted in c.waiting
	position         int  // last told
	begun, cancelled bool
	startedBy        string
	last             time.Time // the runner's last sign
	dec              trace.Decoder
	batch            []trace.Event
}

// leaveLine stops counting the run among this server's waiting runs.
func (f *follower) leaveLine() {
	if !f.inLine {
		return
	}
	f.inLine = false
	f.c.waiting.Add(-1)
}

// follow reads a queued run's subject until its result, its runner's
// silence, a stop before it started, or the end of its wait.
func (f *follower) follow(ctx context.Context) (*trace.Result, error) {
	f.last = time.Now()
	for {
		if ctx.Err() != nil && !f.cancelled {
			f.cancelled = true
			if !f.begun {
				f.c.unqueue(f.seq)
				return f.sum.fail(trace.StatusStopped, "The run was stopped before it started."), nil
			}
			_ = f.c.nc.Publish(cancelSubject(f.id), nil)
			f.last = time.Now()
		}
		wait := context.Background()
		if !f.cancelled {
			wait = ctx
		}
		mctx, cancel := context.WithTimeout(wait, Heartbeat/2)
		m, err := f.sub.NextMsgWithContext(mctx)
		cancel()
		if err != nil {
			if res, err := f.quiet(err); res != nil {
				return res, err
			}
			continue
		}
		f.last = time.Now()
		if res, err := f.message(m); res != nil {
			return res, err
		}
	}
}

// quiet handles a wait with no message: the runner's silence once
// started, the run's place in the line before.
func (f *follower) quiet(err error) (*trace.Result, error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrBadSubscription):
		return f.sum.fail(trace.StatusError, "The connection to the runners was closed during the run."), fmt.Errorf("follow run %s: %w", f.id, err)
	default:
		f.c.log.Warn("run events lost", "run", f.id, "err", err) // a slow consumer: the result still comes
	}
	if !f.c.nc.IsConnected() {
		f.last = time.Now() // an outage is not the runner's fault: give it its time again after
	}
	if f.begun {
		silence := HeartbeatTimeout
		if f.cancelled {
			// A runner told to stop kills its child and sends the
			// result; on a loaded machine that can outlast three beats.
			silence += stopGrace
		}
		if time.Since(f.last) > silence {
			return f.sum.fail(trace.StatusError, "The runner stopped during the run; these are the events it sent before."), nil
		}
		return nil, nil
	}
	if f.cancelled {
		return nil, nil
	}
	return f.waitInLine()
}

// waitInLine tells the client a changed position, and gives up on a run
// that has waited past its deadline or is no longer in the queue. From
// here on the server answers no runner: one that takes the run later is
// told no, or finds no one and drops it.
func (f *follower) waitInLine() (*trace.Result, error) {
	if time.Now().After(f.deadline) {
		f.c.unqueue(f.seq)
		return f.sum.unavailable(f.c.waitedTooLong(), fmt.Errorf("run %s waited %v in the queue", f.id, f.c.queueWait))
	}
	switch pl, pos := f.c.line.Load().where(f.seq); pl {
	case placeWaiting:
		if pos != f.position && f.queued != nil {
			f.queued(pos)
		}
		f.position = pos
	case placeGone:
		return f.sum.unavailable("The run was lost from the runners' queue before any runner took it; run it again.",
			fmt.Errorf("run %s is gone from the queue before it started", f.id))
	}
	return nil, nil
}

// message handles one message on the run's subject.
func (f *follower) message(m *nats.Msg) (*trace.Result, error) {
	if len(m.Data) == 0 {
		return nil, nil
	}
	switch m.Data[0] {
	case kindStart:
		// The runner that got the yes may ask again (its first answer
		// was lost in an outage); any other runner is told no.
		by := string(m.Data[1:])
		ok := (!f.begun && !f.cancelled) || (f.begun && by == f.startedBy)
		if ok && !f.begun {
			f.begun, f.startedBy = true, by
			f.leaveLine()
			if f.started != nil {
				f.started()
			}
		}
		answer := "no"
		if ok {
			answer = "ok"
		}
		_ = m.Respond([]byte(answer))
	case kindEvents:
		var err error
		if f.batch, err = f.dec.Decode(f.batch[:0], m.Data[1:]); err != nil {
			f.c.log.Error("corrupt event batch from a runner", "run", f.id, "err", err)
			return nil, nil
		}
		f.sum.observe(f.batch)
		if f.onEvents != nil {
			f.onEvents(f.batch)
		}
	case kindProgress, kindExplored:
		return f.exploration(m.Data[0], m.Data[1:])
	case kindChoice, kindRefused, kindRestart:
		return f.interaction(m.Data[0], m.Data[1:])
	case kindResult:
		f.gotResult = true
		var res trace.Result
		if err := scenarios.UnmarshalJSON(m.Data[1:], &res); err != nil { // params stay exact
			return f.sum.fail(trace.StatusError, "The runner sent a result that could not be read."), fmt.Errorf("decode result of run %s: %w", f.id, err)
		}
		return &res, nil
	}
	return nil, nil
}

// waitedTooLong words the busy answer to a run no runner took in time,
// saying whether runners are up at all.
func (c *Client) waitedTooLong() string {
	wait := waitWords(c.queueWait)
	if c.Health().Runners == 0 {
		return fmt.Sprintf("No runner took the run in %s: no runner is up right now. Try again later.", wait)
	}
	return fmt.Sprintf("No runner took the run in %s: every runner was busy all that time. Try again in a minute.", wait)
}

// waitWords says a wait the way a person would: "2 minutes", "90 s".
func waitWords(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "a minute"
		}
		return fmt.Sprintf("%d minutes", d/time.Minute)
	case d >= time.Second:
		return fmt.Sprintf("%d s", (d+time.Second/2)/time.Second)
	}
	return d.String()
}

// unqueue removes a run stopped before it started from the queue; if a
// runner has just taken it, the runner's start request finds no one and
// the runner drops it.
func (c *Client) unqueue(seq uint64) {
	c.mu.Lock()
	st := c.stream
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := st.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		c.log.Warn("cannot remove a stopped run from the queue", "seq", seq, "err", err)
	}
}
