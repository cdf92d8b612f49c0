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

// admission decides when a run may start its child: at most slots runs at
// once, at most perClient of them for one client address, the rest
// waiting in a FIFO queue of bounded length, at most perClientQueue of
// them for one client address, whose positions are told to the waiting
// clients as they change. A client whose own run is still
// going does not hold up the clients behind it: the queue skips it.
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
}

// ticket is one waiting run.
type ticket struct {
	client  string
	ready   chan struct{}
	granted bool
	err     error              // set when the ticket was refused rather than granted
	pos     int                // last position told to the client
	notify  func(position int) // tells the client its queue position; must not block
}

func newAdmission(slots, perClient, maxQueue, perClientQueue int) *admission {
	return &admission{slots: slots, perClient: perClient, maxQueue: maxQueue, perClientQueue: perClientQueue, byClient: map[string]int{}}
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
	if a.canRun(client) {
		a.start(client)
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
	t := &ticket{client: client, ready: make(chan struct{}), notify: notify}
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
		a.mu.Unlock()
		a.release(client)
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

// release frees client's slot and starts whoever may run next.
func (a *admission) release(client string) {
	a.mu.Lock()
	a.running--
	if a.byClient[client]--; a.byClient[client] <= 0 {
		delete(a.byClient, client)
	}
	run(a.dispatch())
	a.mu.Unlock()
}

// close refuses every waiting and future run with errShuttingDown; runs
// already started keep their slots until they release them.
func (a *admission) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for _, t := range a.queue {
		t.err = errShuttingDown
		close(t.ready)
	}
	a.queue = nil
}

// stats returns the runs in progress and the queue length.
func (a *admission) stats() (running, waiting int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.running, len(a.queue)
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

func (a *admission) canRun(client string) bool {
	return a.running < a.slots && a.byClient[client] < a.perClient
}

func (a *admission) start(client string) {
	a.running++
	a.byClient[client]++
}

// dispatch grants slots to the first eligible waiters, in queue order, and
// returns the position updates to send once the lock is released.
func (a *admission) dispatch() []func() {
	kept := a.queue[:0]
	for _, t := range a.queue {
		if a.canRun(t.client) {
			a.start(t.client)
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
