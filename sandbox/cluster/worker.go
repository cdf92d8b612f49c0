package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"interleave/sandbox"
	"interleave/sandbox/engine"
	"interleave/sandbox/explore"
	"interleave/sandbox/trace"
)

// Sandbox runs one request locally; *sandbox.Runner is one. A runner
// whose Sandbox is also an Explorer takes explorations, and one that is a
// Scheduler interactive runs; any other answers them with an error.
type Sandbox interface {
	Run(ctx context.Context, req engine.Request, onEvents func([]trace.Event)) (*trace.Result, error)
}

// Explorer explores a request locally; *sandbox.Runner is one.
type Explorer interface {
	Explore(ctx context.Context, req engine.Request, opts explore.Options, onProgress func(explore.Progress)) (*explore.Report, error)
}

// Scheduler runs a request whose choices a person makes; *sandbox.Runner
// is one.
type Scheduler interface {
	Interact(ctx context.Context, req engine.Request, onEvents func([]trace.Event), in sandbox.Interaction) (*trace.Result, error)
}

// maxBatch bounds one event message, well under NATS's default payload
// limit of 1 MiB.
const maxBatch = 256 << 10

// Worker takes runs from the cluster's queue and runs them in its own
// sandbox, MaxRuns at a time.
type Worker struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	sb      Sandbox
	log     *slog.Logger
	id      string
	maxRuns int
	free    atomic.Int64
}

// NewWorker connects to NATS (retrying in the background until it is up)
// as a runner with maxRuns slots over sb.
func NewWorker(o Options, sb Sandbox, maxRuns int, log *slog.Logger) (*Worker, error) {
	if log == nil {
		log = slog.Default()
	}
	if maxRuns <= 0 {
		return nil, fmt.Errorf("new runner: max runs must be positive, not %d", maxRuns)
	}
	host, _ := os.Hostname()
	id := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), nuid.Next()[:6])
	if o.Name == "" {
		o.Name = "interleave-runner " + id
	}
	w := &Worker{sb: sb, log: log.With("runner", id), id: id, maxRuns: maxRuns}
	w.free.Store(int64(maxRuns))
	nc, err := connect(o, func(up bool) {
		if up {
			w.log.Info("nats connected", "url", o.URL)
		} else {
			w.log.Warn("nats disconnected; reconnecting")
		}
	})
	if err != nil {
		return nil, err
	}
	w.nc = nc
	if w.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	return w, nil
}

// ID names the runner in logs and presence messages.
func (w *Worker) ID() string { return w.id }

// Serve takes and runs runs until ctx ends, then waits for the runs in
// progress and closes the connection.
func (w *Worker) Serve(ctx context.Context) error {
	defer w.nc.Close()
	cons, err := w.consumer(ctx)
	if err != nil {
		return err
	}
	w.log.Info("runner ready", "slots", w.maxRuns)
	var wg sync.WaitGroup
	wg.Add(w.maxRuns + 1)
	go func() {
		defer wg.Done()
		w.announce(ctx)
	}()
	for range w.maxRuns {
		go func() {
			defer wg.Done()
			w.slot(ctx, cons)
		}()
	}
	wg.Wait()
	return nil
}

// consumer binds to the queue's consumer, waiting for NATS and for the
// queue to exist (a server, or the runner's own first attempt, makes it).
func (w *Worker) consumer(ctx context.Context) (jetstream.Consumer, error) {
	for warned := false; ; {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		cons, err := w.js.Consumer(cctx, Stream, Consumer)
		if err != nil && w.nc.IsConnected() {
			if _, cerr := EnsureQueue(cctx, w.js); cerr == nil {
				cons, err = w.js.Consumer(cctx, Stream, Consumer)
			}
		}
		cancel()
		if err == nil {
			return cons, nil
		}
		if !warned {
			w.log.Warn("waiting for the run queue", "err", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bind to the run queue: %w", ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// announce publishes the runner's free slots every second, and its
// leaving at the end.
func (w *Worker) announce(ctx context.Context) {
	t := time.NewTicker(presenceEvery)
	defer t.Stop()
	for {
		_ = w.nc.Publish(SubjectPresence, mustJSON(presence{Runner: w.id, Slots: w.maxRuns, Free: int(w.free.Load())}))
		select {
		case <-ctx.Done():
			_ = w.nc.Publish(SubjectPresence, mustJSON(presence{Runner: w.id, Gone: true}))
			_ = w.nc.Flush()
			return
		case <-t.C:
		}
	}
}

// slot is one run slot: it asks the queue for a run only while free, so a
// busy runner leaves the queue's next run to another.
func (w *Worker) slot(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		msg, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
				w.log.Debug("fetch a run", "err", err)
				time.Sleep(250 * time.Millisecond)
			}
			continue
		}
		w.free.Add(-1)
		w.handle(ctx, msg)
		w.free.Add(1)
	}
}

// handle runs one message of the queue. It acknowledges the message once
// the run's server has agreed to its start, never before and never after:
// see the package comment.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	var wk work
	if err := jsonUnmarshal(msg.Data(), &wk); err != nil || wk.ID == "" {
		w.log.Error("dropping a malformed run from the queue", "err", err)
		_ = msg.Term()
		return
	}
	log := w.log.With("run", wk.ID, "scenario", wk.Req.Scenario, "mode", wk.Req.Mode)
	if !wk.Deadline.IsZero() && time.Now().After(wk.Deadline) {
		// Its server has told its client the run failed (and tried to
		// take it out of the queue): it must never run now.
		log.Info("run dropped: it waited in the queue past its deadline")
		_ = msg.Ack()
		return
	}
	// A stop outlives the runner's own shutdown: a run in progress ends
	// on its own or by its server's stop.
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	cancelSub, err := w.nc.Subscribe(cancelSubject(wk.ID), func(*nats.Msg) {
		log.Info("run stopped by its server")
		stop()
	})
	if err != nil {
		log.Warn("cannot listen for the run's stop; giving it back", "err", err)
		_ = msg.Nak()
		return
	}
	defer cancelSub.Unsubscribe()
	var picks <-chan trace.Pick
	if wk.Interact != nil {
		ch, pickSub, err := w.listenForPicks(runCtx, log, wk.ID)
		if err != nil {
			log.Warn("cannot listen for the run's picks; giving it back", "err", err)
			_ = msg.Nak()
			return
		}
		defer pickSub.Unsubscribe()
		picks = ch
	}
	reply, err := w.askStart(ctx, wk.ID)
	switch {
	case errors.Is(err, nats.ErrNoResponders) && !givenUp(msg):
		// Its server may be reconnecting to NATS (it resubscribes then):
		// give the run back for a while before calling it abandoned.
		log.Info("run's server is not listening yet; giving the run back")
		_ = msg.NakWithDelay(time.Second)
		return
	case errors.Is(err, nats.ErrNoResponders) || (err == nil && string(reply.Data) != "ok"):
		log.Info("run dropped: its server has stopped it, left, or had it started elsewhere")
		_ = msg.Ack()
		return
	case err != nil:
		log.Warn("run's server did not answer; giving the run back", "err", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	if err := msg.Ack(); err != nil {
		log.Warn("acknowledge run", "err", err) // its server refuses a second start
	}
	log.Info("run started", "explore", wk.Explore != nil, "interactive", wk.Interact != nil)
	w.run(runCtx, log, wk, picks)
}

// abandonAfter is how many times a run whose server does not answer is
// taken before it is dropped: a server reconnecting to NATS answers again
// within a few seconds, one that died never will.
const abandonAfter = 8

func givenUp(msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	return err != nil || md.NumDelivered >= abandonAfter
}

// askStart asks the run's server whether this runner may start it,
// asking again through a short outage of NATS.
func (w *Worker) askStart(ctx context.Context, id string) (*nats.Msg, error) {
	var (
		reply *nats.Msg
		err   error
	)
	for range 5 {
		reply, err = w.nc.Request(eventSubject(id), append([]byte{kindStart}, w.id...), time.Second)
		if err == nil || errors.Is(err, nats.ErrNoResponders) || ctx.Err() != nil {
			return reply, err
		}
	}
	return reply, err
}

// run executes one started run, streaming its events, an exploration's
// progress or an interactive run's choices, with heartbeats.
func (w *Worker) run(ctx context.Context, log *slog.Logger, wk work, picks <-chan trace.Pick) {
	subj := eventSubject(wk.ID)
	stopBeats := w.beat(subj)
	if wk.Explore != nil {
		w.explore(ctx, log, wk)
		stopBeats()
		return
	}
	var (
		res *trace.Result
		err error
	)
	if wk.Interact != nil {
		res, err = w.interact(ctx, wk, picks)
	} else {
		res, err = w.sb.Run(ctx, wk.Req, w.eventSender(subj))
	}
	stopBeats()
	if err != nil {
		log.Error("run failed in the sandbox", "err", err)
	}
	body, merr := jsonMarshal(res)
	if merr != nil {
		log.Error("encode result", "err", merr)
		return // the server notices the silence and ends the run with an error
	}
	if err := w.nc.Publish(subj, append([]byte{kindResult}, body...)); err != nil {
		log.Error("send result", "err", err)
	}
	log.Info("run ended", "status", res.Status, "events", res.Stats.Events, "interactive", wk.Interact != nil)
}

// beat sends a heartbeat on subj every Heartbeat until the returned
// function is called.
func (w *Worker) beat(subj string) (stop func()) {
	done := make(chan struct{})
	var beats sync.WaitGroup
	beats.Go(func() {
		t := time.NewTicker(Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = w.nc.Publish(subj, []byte{kindBeat})
			}
		}
	})
	return func() {
		close(done)
		beats.Wait()
	}
}

// eventSender publishes each batch of events on subj in messages of at
// most maxBatch bytes, as it comes: a choice published after it follows
// every event before it.
func (w *Worker) eventSender(subj string) func([]trace.Event) {
	buf := make([]byte, 0, 64<<10)
	return func(batch []trace.Event) {
		buf = append(buf[:0], kindEvents)
		for i := range batch {
			buf = batch[i].AppendBinary(buf)
			if len(buf) >= maxBatch {
				_ = w.nc.Publish(subj, buf)
				buf = append(buf[:0], kindEvents)
			}
		}
		if len(buf) > 1 {
			_ = w.nc.Publish(subj, buf)
		}
	}
}
