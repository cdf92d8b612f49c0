package server

import (
	"context"
	"errors"
	"sync"
)

// errBusy means the run queue is full: the client should try again later.
var errBusy = errors.New("run queue is full")

// errClientQueued means the client has as many runs waiting as it may.
var errClientQueued = errors.New("client has too many runs waiting")

// errShuttingDown means the server is stopping and starts no more runs.
var errShuttingDown = errors.New("server is shutting down")

// errInteractiveFull means the server holds as many interactive runs as
// it may: their children wait in memory for their people.
var errInteractiveFull = errors.New("interactive runs are full")

// errClientInteractive means the client holds as many interactive runs
// as it may.
var errClientInteractive = errors.New("client has too many interactive runs")

// admission decides when a run may start its child: at most slots runs at
// once, at most perClient of them for one client address, the rest
// waiting in a FIFO queue of bounded length, at most perClientQueue of
// them for one client address, whose positions are told to the waiting
// clients as they change. A client whose own run is still
// going does not hold up the clients behind it: the queue skips it.
//
// An interactive run (You schedule) holds its client's slot and one of
// maxInteractive places from start to end, but one of the slots, which
// stand for the CPUs, only while its child computes: it pauses at each
// choice put to its person, and resumes, through the same queue, when a
// pick comes. So two students thinking block no one's Run; what their
// waiting children cost is memory, which maxInteractive bounds.
type admission struct {
	mu        sync.Mutex
	slots     int
	perClient int
	maxQueue  int
	// perClientQueue bounds one client's waiting runs, so that one address
	// cannot fill the whole queue while every other client is told busy.
	perClientQueue int
	running        int
	byClient       map[string]int
	queue          []*ticket
	closed         bool

	maxInteractive int            // interactive runs at once, started or queued
	interactive    int            // interactive runs holding a place
	interactiveBy  map[string]int // places per client, at most perClient
	paused         int            // interactive runs waiting for their person, holding no slot
}

// ticket is one waiting run.
type ticket struct {
	client  string
	held    bool // the client's slot is held already: the ticket waits for a CPU slot only
	ready   chan struct{}
	granted bool
	err     error              // set when the ticket was refused rather than granted
	pos     int                // last position told to the client
	notify  func(position int) // tells the client its queue position; must not block
}

func newAdmission(slots, perClient, maxQueue, perClientQueue, maxInteractive int) *admission {
	return &admission{slots: slots, perClient: perClient, maxQueue: maxQueue, perClientQueue: perClientQueue,
		maxInteractive: maxInteractive, byClient: map[string]int{}, interactiveBy: map[string]int{}}
}

// acquire waits for a slot for client, calling notify with the queue
// position whenever it changes (never while a slot is free at once). It
// returns errBusy without waiting when the queue is full, errClientQueued
// when client has perClientQueue runs waiting already, and ctx's error
// if ctx ends first. The caller must call release exactly once after a
// nil error.
func (a *admission) acquire(ctx context.Context, client string, notify func(position int)) error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return errShuttingDown
	}
	// Every waiter is kept ineligible by dispatch (no free slot, or its
	// client at its cap), so a client that can run now jumps no one.
	t := &ticket{client: client, ready: make(chan struct{}), notify: notify}
	if a.canRun(t) {
		a.start(t)
		a.mu.Unlock()
		return nil
	}
	if len(a.queue) >= a.maxQueue {
		a.mu.Unlock()
		return errBusy
	}
	if a.waiting(client) >= a.perClientQueue {
		a.mu.Unlock()
		return errClientQueued
	}
	return a.wait(ctx, t)
}

// wait queues t, whose caller holds a.mu, and waits until it is granted
// or refused, or ctx ends.
func (a *admission) wait(ctx context.Context, t *ticket) error {
	a.queue = append(a.queue, t)
	run(a.positions())
	a.mu.Unlock()

	select {
	case <-t.ready:
		return t.err
	case <-ctx.Done():
	}
	a.mu.Lock()
	if t.err != nil {
		a.mu.Unlock()
		return t.err
	}
	if t.granted {
		// The slot came at the same moment as the cancellation: give it back.
		a.unstart(t)
		run(a.dispatch())
		a.mu.Unlock()
		return ctx.Err()
	}
	for i, q := range a.queue {
		if q == t {
			a.queue = append(a.queue[:i], a.queue[i+1:]...)
			break
		}
	}
	run(a.dispatch())
	a.mu.Unlock()
	return ctx.Err()
}

// acquireInteractive takes an interactive place for client, refused at
// once when the server or the client holds as many as it may, and then
// a slot as acquire does. After a nil error the caller pauses and
// resumes the run, and ends it with leaveInteractive.
func (a *admission) acquireInteractive(ctx context.Context, client string, notify func(position int)) error {
	a.mu.Lock()
	switch {
	case a.closed:
		a.mu.Unlock()
		return errShuttingDown
	case a.interactiveBy[client] >= a.perClient:
		a.mu.Unlock()
		return errClientInteractive
	case a.interactive >= a.maxInteractive:
		a.mu.Unlock()
		return errInteractiveFull
	}
	a.interactive++
	a.interactiveBy[client]++
	a.mu.Unlock()
	if err := a.acquire(ctx, client, notify); err != nil {
		a.mu.Lock()
		a.dropInteractive(client)
		a.mu.Unlock()
		return err
	}
	return nil
}

// pause gives back the slot of client's interactive run, which keeps its
// client slot and place: its child waits for a pick.
func (a *admission) pause() {
	a.mu.Lock()
	a.running--
	a.paused++
	run(a.dispatch())
	a.mu.Unlock()
}

// resume waits for a slot for a paused interactive run of client, in the
// queue with every other run (neither the queue's length nor the
// client's share of it refuse it: the run holds its place already). On
// an error the run stays paused, without a slot.
func (a *admission) resume(ctx context.Context, client string, notify func(position int)) error {
	a.mu.Lock()
	t := &ticket{client: client, held: true, ready: make(chan struct{}), notify: notify}
	if a.canRun(t) {
		a.paused--
		a.start(t)
		a.mu.Unlock()
		return nil
	}
	a.paused--
	err := a.wait(ctx, t)
	if err != nil {
		a.mu.Lock()
		a.paused++
		a.mu.Unlock()
	}
	return err
}

// leaveInteractive ends an interactive run of client: it frees the
// client's slot, the slot when running (not paused), and the place.
func (a *admission) leaveInteractive(client string, running bool) {
	a.mu.Lock()
	if running {
		a.running--
	} else {
		a.paused--
	}
	a.dropClient(client)
	a.dropInteractive(client)
	run(a.dispatch())
	a.mu.Unlock()
}

func (a *admission) dropInteractive(client string) {
	a.interactive--
	if a.interactiveBy[client]--; a.interactiveBy[client] <= 0 {
		delete(a.interactiveBy, client)
	}
}

func (a *admission) dropClient(client string) {
	if a.byClient[client]--; a.byClient[client] <= 0 {
		delete(a.byClient, client)
	}
}

// release frees client's slot and starts whoever may run next.
func (a *admission) release(client string) {
	a.mu.Lock()
	a.running--
	a.dropClient(client)
	run(a.dispatch())
	a.mu.Unlock()
}

// close refuses every waiting and future run with errShuttingDown; runs
// already started keep their slots until they release them, and a
// paused interactive run may still resume within the grace period.
func (a *admission) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	kept := a.queue[:0]
	for _, t := range a.queue {
		if t.held {
			kept = append(kept, t)
			continue
		}
		t.err = errShuttingDown
		close(t.ready)
	}
	a.queue = kept
}

// stats returns the runs holding a slot and the queue length.
func (a *admission) stats() (running, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running, len(a.queue)
}

// interactiveStats returns the interactive runs holding a place, and
// those of them waiting for their person's pick.
func (a *admission) interactiveStats() (live, paused int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.interactive, a.paused
}

// waiting counts client's runs in the queue; the queue is short (64 by
// default), so counting is cheaper than keeping a second map in step.
func (a *admission) waiting(client string) int {
	n := 0
	for _, t := range a.queue {
		if t.client == client {
			n++
		}
	}
	return n
}

func (a *admission) canRun(t *ticket) bool {
	return a.running < a.slots && (t.held || a.byClient[t.client] < a.perClient)
}

func (a *admission) start(t *ticket) {
	a.running++
	if !t.held {
		a.byClient[t.client]++
	}
}

// unstart takes back what start gave t.
func (a *admission) unstart(t *ticket) {
	a.running--
	if !t.held {
		a.dropClient(t.client)
	}
}

// dispatch grants slots to the first eligible waiters, in queue order, and
// returns the position updates to send once the lock is released.
func (a *admission) dispatch() []func() {
	kept := a.queue[:0]
	for _, t := range a.queue {
		if a.canRun(t) {
			a.start(t)
			t.granted = true
			close(t.ready)
			continue
		}
		kept = append(kept, t)
	}
	for i := len(kept); i < len(a.queue); i++ {
		a.queue[i] = nil
	}
	a.queue = kept
	return a.positions()
}

// positions returns a call for every waiter whose position changed. The
// calls are made with a.mu held, so that a client hears its positions in
// order; notify must not block or call back into the admission.
func (a *admission) positions() []func() {
	var calls []func()
	for i, t := range a.queue {
		if t.pos != i+1 && t.notify != nil {
			t.pos = i + 1
			notify, pos := t.notify, t.pos
			calls = append(calls, func() { notify(pos) })
		}
	}
	return calls
}

func run(calls []func()) {
	for _, c := range calls {
		c()
	}
}
