package engine

import (
	"bytes"
	"runtime"
	"strconv"
	"time"
)

// scheduler is what differs between the modes: how a thread starts, what
// happens at a builtin call, and how a thread waits.
type scheduler interface {
	// enter runs first in a new thread's goroutine.
	enter(t *thread) error
	// point is the scheduling point at the start of every builtin.
	point(t *thread) error
	// park waits until unpark or the end of the run; r.mu is not held.
	park(t *thread) error
	// unpark wakes a parked thread; r.mu is held.
	unpark(t *thread)
	sleep(t *thread, ns int64) error
	// work runs ns of busy work for the work call at line.
	work(t *thread, ns int64, line int) error
	yield(t *thread) error
	// exit runs last in a thread's goroutine, unless the run has ended.
	exit(t *thread)
}

// realSched runs scenario threads as goroutines, locked to their own OS
// threads in os mode (the goroutine never unlocks, so its OS thread exits
// with it) or multiplexed by the Go scheduler in green mode.
type realSched struct {
	r      *run
	locked bool
}

func (s *realSched) enter(t *thread) error {
	if s.locked {
		runtime.LockOSThread()
		t.tid = gettid()
		t.enterOSThread()
	}
	s.r.registerGoroutine(t)
	if s.r.ended.Load() {
		return errCutoff
	}
	return nil
}

func (s *realSched) point(t *thread) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	return nil
}

func (s *realSched) park(t *thread) error {
	select {
	case <-t.wake:
		return nil
	case <-s.r.done:
		return errCutoff
	}
}

func (s *realSched) unpark(t *thread) {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (s *realSched) sleep(t *thread, ns int64) error {
	tm := time.NewTimer(time.Duration(ns))
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-s.r.done:
		return errCutoff
	}
}

func (s *realSched) work(t *thread, ns int64, line int) error { return t.busy(ns, line) }

func (s *realSched) yield(t *thread) error {
	if s.r.ended.Load() {
		return errCutoff
	}
	if s.locked {
		osYield()
	} else {
		runtime.Gosched()
	}
	return nil
}

func (s *realSched) exit(t *thread) {}

// registerGoroutine lets a channel iterator, which Starlark gives no
// thread, find the scenario thread of the goroutine it runs on.
func (r *run) registerGoroutine(t *thread) {
	id := goid()
	r.mu.Lock()
	if r.goids == nil {
		r.goids = map[uint64]*thread{}
	}
	r.goids[id] = t
	r.mu.Unlock()
}

func (r *run) threadOfGoroutine() *thread {
	if r.sim != nil {
		return r.sim.cur
	}
	id := goid()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.goids[id]
}

// goid parses the calling goroutine's id from its stack header,
// "goroutine 42 [running]:". It costs about a microsecond, so it is used
// once per loop over a channel, not per event.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
