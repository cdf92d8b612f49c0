package engine

import (
	"fmt"
	"strings"

	"interleave/sandbox/trace"
)

// The wait-for graph has one edge per blocked thread: to the owner of the
// mutex it waits for, to the thread it joins, or (with no holder) to the
// channel it sends on or receives from. Edges change only under run.mu,
// when a thread blocks or is woken, and the holder of a mutex edge is read
// at walk time, so the graph is always current. A thread checks the graph
// as it blocks, before it parks: a cycle can only close when its last
// member blocks, so this finds every cycle the moment it forms, in every
// mode, without polling. The same check counts blocked threads: when every
// live thread is blocked (a sleeping one is not), nothing can wake them,
// which also covers channel waits that have no single holder.

type waitKind uint8

const (
	waitNone waitKind = iota
	waitLock
	waitJoin
	waitSend
	waitRecv
	waitRead    // rwlock read
	waitWrite   // rwlock write
	waitCondvar // condvar wait
	waitBarrier
	waitSem
	waitPark
	waitOnce
)

var waitOps = [...]string{waitNone: "", waitLock: "lock", waitJoin: "join", waitSend: "send", waitRecv: "recv",
	waitRead: "read", waitWrite: "write", waitCondvar: "wait", waitBarrier: "barrier", waitSem: "acquire",
	waitPark: "park", waitOnce: "once"}

// waitEdge is what a blocked thread waits for.
type waitEdge struct {
	kind   waitKind
	mu     *mutexObj
	target *thread
	ch     *chanObj
	rw     *rwlockObj
	once   *onceObj
	name   string // the object of the other kinds
	line   int
}

// holder is the thread that must act before the waiter can go on, if
// there is exactly one.
func (e *waitEdge) holder() *thread {
	switch e.kind {
	case waitLock:
		return e.mu.owner
	case waitJoin:
		return e.target
	case waitRead, waitWrite:
		return e.rw.holder(e.kind == waitWrite)
	case waitOnce:
		return e.once.running
	}
	return nil
}

func (e *waitEdge) obj() string {
	switch e.kind {
	case waitLock:
		return e.mu.name
	case waitJoin:
		return e.target.name
	case waitSend, waitRecv:
		return e.ch.name
	case waitRead, waitWrite:
		return e.rw.name
	case waitOnce:
		return e.once.name
	}
	return e.name
}

// findCycle returns the cycle that t's new wait edge closes, starting at
// t, or nil. r.mu is held.
func (r *run) findCycle(t *thread) []*thread {
	path := []*thread{t}
	cur := t.wait.holder()
	for range len(r.threads) + 1 {
		if cur == nil {
			return nil
		}
		if cur == t {
			return path
		}
		if cur.state != stBlocked {
			return nil
		}
		path = append(path, cur)
		cur = cur.wait.holder()
	}
	return nil
}

// endDeadlock ends the run with a wait-for cycle; r.mu is held.
func (r *run) endDeadlock(cycle []*thread) {
	// Start at the oldest thread, so the same cycle reads the same
	// whichever thread closed it.
	low := 0
	for i, t := range cycle {
		if t.id < cycle[low].id {
			low = i
		}
	}
	cycle = append(cycle[low:len(cycle):len(cycle)], cycle[:low]...)
	d := &trace.Deadlock{}
	for _, t := range cycle {
		d.Cycle = append(d.Cycle, waitOf(t))
	}
	r.deadlock = d
	r.endLocked(trace.StatusDeadlock, cycleSentence(cycle))
}

func waitOf(t *thread) trace.Wait {
	w := trace.Wait{Th: t.id, Thread: t.name, Op: waitOps[t.wait.kind], Obj: t.wait.obj(), Holder: -1, Line: t.wait.line}
	if h := t.wait.holder(); h != nil {
		w.Holder, w.HolderName = h.id, h.name
	}
	return w
}

// cycleSentence says a cycle in one sentence: "deadlock: alpha waits for
// second, held by beta, which waits for first, held by alpha."
func cycleSentence(cycle []*thread) string {
	if len(cycle) == 1 {
		t := cycle[0]
		if t.wait.kind == waitJoin {
			return fmt.Sprintf("deadlock: %s waits to join itself, which can never finish.", t.name)
		}
		if t.wait.kind == waitRead || t.wait.kind == waitWrite {
			return fmt.Sprintf("deadlock: %s waits to %s-lock %s, which it already holds: relocking a rwlock you hold (or upgrading a read lock) waits forever.", t.name, waitOps[t.wait.kind], t.wait.obj())
		}
		if t.wait.kind == waitOnce {
			return fmt.Sprintf("deadlock: %s calls once %s from inside its own initialisation, which waits forever.", t.name, t.wait.obj())
		}
		return fmt.Sprintf("deadlock: %s waits for %s, which it already holds: relocking a mutex you hold waits forever.", t.name, t.wait.obj())
	}
	var b strings.Builder
	b.WriteString("deadlock: ")
	for i, t := range cycle {
		if i == 0 {
			b.WriteString(t.name)
		} else {
			b.WriteString(", which")
		}
		h := t.wait.holder()
		switch t.wait.kind {
		case waitJoin:
			fmt.Fprintf(&b, " waits to join %s", h.name)
		case waitRead, waitWrite:
			fmt.Fprintf(&b, " waits to %s-lock %s, held by %s", waitOps[t.wait.kind], t.wait.obj(), h.name)
		case waitOnce:
			fmt.Fprintf(&b, " waits for once %s, which %s is running", t.wait.obj(), h.name)
		default:
			fmt.Fprintf(&b, " waits for %s, held by %s", t.wait.obj(), h.name)
		}
	}
	b.WriteString(".")
	return b.String()
}

// globalDeadlock ends the run because every live thread is blocked; r.mu
// is held.
func (r *run) globalDeadlock() {
	d := &trace.Deadlock{}
	var parts []string
	for _, t := range r.threads {
		if t.state != stBlocked {
			continue
		}
		d.Cycle = append(d.Cycle, waitOf(t))
		parts = append(parts, describeWait(t))
	}
	r.deadlock = d
	r.endLocked(trace.StatusDeadlock, "deadlock: every thread is blocked: "+strings.Join(parts, "; ")+".")
}

func describeWait(t *thread) string {
	e := &t.wait
	switch e.kind {
	case waitLock:
		h := e.holder()
		switch {
		case h == nil:
			return fmt.Sprintf("%s waits for %s", t.name, e.obj())
		case h.state.finished():
			return fmt.Sprintf("%s waits for %s, held by %s, which ended without unlocking it", t.name, e.obj(), h.name)
		}
		return fmt.Sprintf("%s waits for %s, held by %s", t.name, e.obj(), h.name)
	case waitJoin:
		return fmt.Sprintf("%s waits to join %s", t.name, e.obj())
	case waitSend:
		return fmt.Sprintf("%s waits to send on channel %q, which no thread will receive from", t.name, e.obj())
	case waitRecv:
		return fmt.Sprintf("%s waits to receive from channel %q, which no thread will send on or close", t.name, e.obj())
	case waitRead, waitWrite:
		if h := e.holder(); h != nil {
			return fmt.Sprintf("%s waits to %s-lock %s, held by %s", t.name, waitOps[e.kind], e.obj(), h.name)
		}
		return fmt.Sprintf("%s waits to %s-lock %s", t.name, waitOps[e.kind], e.obj())
	case waitCondvar:
		return fmt.Sprintf("%s waits on %s; no thread left can notify it", t.name, e.obj())
	case waitBarrier:
		return fmt.Sprintf("%s waits at barrier %s, which no thread left can fill", t.name, e.obj())
	case waitSem:
		return fmt.Sprintf("%s waits for a permit of semaphore %s, which no thread left will release", t.name, e.obj())
	case waitPark:
		return fmt.Sprintf("%s is parked; no thread left can unpark it", t.name)
	case waitOnce:
		return fmt.Sprintf("%s waits for once %s to finish", t.name, e.obj())
	}
	return t.name + " waits"
}
