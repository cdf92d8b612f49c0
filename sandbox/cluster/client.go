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

	"interleave/sandbox/engine"
	"interleave/sandbox/trace"
	"interleave/scenarios"
)

// publishTimeout bounds how long a run waits for the queue to accept it
// before the server answers busy.
const publishTimeout = 2 * time.Second

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

	mu      sync.Mutex
	runners map[string]seenRunner
	stream  jetstream.Stream

	presSub *nats.Subscription
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
	c := &Client{log: log, runners: map[string]seenRunner{}, done: make(chan struct{})}
	if o.Name == "" {
		o.Name = "interleave-server"
	}
	nc, err := connect(o, func(up bool) {
		c.connected.Store(up)
		if up {
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
	c.wg.Add(1)
	go c.maintain()
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
func EnsureQueue(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	st, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      Stream,
		Subjects:  []string{SubjectRuns},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
		MaxAge:    time.Hour, // a run nobody took in an hour has long been given up
	})
	if err != nil {
		return nil, fmt.Errorf("create stream %s: %w", Stream, err)
	}
	_, err = st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   Consumer,
		AckPolicy: jetstream.AckExplicitPolicy,
		// A runner acknowledges a run as it starts it, within
		// milliseconds of taking it; one that died first gives it up
		// to another runner after this.
		AckWait:    4 * time.Second,
		MaxWaiting: 4096,
	})
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
	Runners   int   `json:"runners"`    // runners heard from in the last 3 s
	Slots     int   `json:"slots"`      // their run slots in all
	FreeSlots int   `json:"free_slots"` // of which free
	Queue     int64 `json:"queue"`      // runs waiting in the work queue, over all servers
}

// Health reports the cluster's state.
func (c *Client) Health() Health {
	h := Health{Connected: c.connected.Load(), Queue: c.queue.Load()}
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
// could not take the run.
func (c *Client) Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error) {
	sum := newPartial(req)
	unavailable := func(err error) (*trace.Result, error) {
		msg := "The runners cannot be reached right now; try again in a minute."
		return sum.fail(trace.StatusError, msg), &UnavailableError{Reason: msg, Err: err}
	}
	if !c.ready.Load() || !c.nc.IsConnected() {
		return unavailable(errors.New("not connected to nats"))
	}
	id := nuid.Next()
	sub, err := c.nc.SubscribeSync(eventSubject(id))
	if err != nil {
		return unavailable(fmt.Errorf("subscribe to run events: %w", err))
	}
	defer sub.Unsubscribe()
	if err := sub.SetPendingLimits(-1, 256<<20); err != nil {
		return unavailable(fmt.Errorf("set pending limits: %w", err))
	}
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	ack, err := c.js.Publish(pctx, SubjectRuns, mustJSON(work{ID: id, Req: req}))
	cancel()
	switch {
	case err != nil && ctx.Err() != nil:
		return sum.fail(trace.StatusStopped, "The run was stopped."), nil
	case err != nil:
		return unavailable(fmt.Errorf("queue run: %w", err))
	}
	return c.follow(ctx, id, ack.Sequence, sub, sum, onEvents)
}

// follow reads a queued run's subject until its result, its runner's
// silence, or a stop before it started.
func (c *Client) follow(ctx context.Context, id string, seq uint64, sub *nats.Subscription, sum *partial, onEvents func([]trace.Event)) (*trace.Result, error) {
	var (
		started, cancelled bool
		startedBy          string
		last               = time.Now()
		dec                trace.Decoder
		batch              []trace.Event
	)
	for {
		if ctx.Err() != nil && !cancelled {
			cancelled = true
			if !started {
				c.unqueue(seq)
				return sum.fail(trace.StatusStopped, "The run was stopped before it started."), nil
			}
			_ = c.nc.Publish(cancelSubject(id), nil)
			last = time.Now()
		}
		wait := context.Background()
		if !cancelled {
			wait = ctx
		}
		mctx, cancel := context.WithTimeout(wait, Heartbeat/2)
		m, err := sub.NextMsgWithContext(mctx)
		cancel()
		if err != nil {
			switch {
			case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrBadSubscription):
				return sum.fail(trace.StatusError, "The connection to the runners was closed during the run."), fmt.Errorf("follow run %s: %w", id, err)
			default:
				c.log.Warn("run events lost", "run", id, "err", err) // a slow consumer: the result still comes
			}
			if !c.nc.IsConnected() {
				last = time.Now() // an outage is not the runner's fault: give it its time again after
			}
			if started && time.Since(last) > HeartbeatTimeout {
				return sum.fail(trace.StatusError, "The runner stopped during the run; these are the events it sent before."), nil
			}
			continue
		}
		last = time.Now()
		if len(m.Data) == 0 {
			continue
		}
		switch m.Data[0] {
		case kindStart:
			// The runner that got the yes may ask again (its first answer
			// was lost in an outage); any other runner is told no.
			by := string(m.Data[1:])
			ok := (!started && !cancelled) || (started && by == startedBy)
			if ok && !started {
				started, startedBy = true, by
			}
			answer := "no"
			if ok {
				answer = "ok"
			}
			_ = m.Respond([]byte(answer))
		case kindEvents:
			if batch, err = dec.Decode(batch[:0], m.Data[1:]); err != nil {
				c.log.Error("corrupt event batch from a runner", "run", id, "err", err)
				continue
			}
			sum.observe(batch)
			if onEvents != nil {
				onEvents(batch)
			}
		case kindResult:
			var res trace.Result
			if err := scenarios.UnmarshalJSON(m.Data[1:], &res); err != nil { // params stay exact
				return sum.fail(trace.StatusError, "The runner sent a result that could not be read."), fmt.Errorf("decode result of run %s: %w", id, err)
			}
			return &res, nil
		}
	}
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
