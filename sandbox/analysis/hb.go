package analysis

import "interleave/sandbox/trace"

// vclock is a vector clock indexed by the analyzer's dense thread index:
// entry u is how much of thread u's history is known to have happened
// before. Missing entries are zero.
type vclock []uint32

func (v vclock) clone() vclock { return append(vclock(nil), v...) }

// join makes v at least w in every entry.
func (v *vclock) join(w vclock) {
	if len(w) > len(*v) {
		*v = append(*v, make(vclock, len(w)-len(*v))...)
	}
	for i, x := range w {
		if x > (*v)[i] {
			(*v)[i] = x
		}
	}
}

// at returns entry u.
func (v vclock) at(u int) uint32 {
	if u < len(v) {
		return v[u]
	}
	return 0
}

// thread is one scenario thread as the analysis follows it.
type thread struct {
	id, idx int
	vc      vclock
	final   vclock // its clock at its end, panic or cutoff, for joins

	// Events of this thread held back until the write they read, or the
	// message they received, has been processed.
	queue []trace.Event
	qhead int

	// lastGet is the cell this thread's previous event read, if its
	// previous event was a get, for a check that fails right after it.
	lastGet *cell
}

// epoch is the thread's own clock entry: where its next access stands.
func (t *thread) epoch() uint32 { return t.vc[t.idx] }

// release publishes t's history so far and starts a new epoch, so that
// what t does next is not covered by what it released.
func (t *thread) release() vclock { return t.releaseInto(nil) }

// releaseInto is release into dst's storage, for the clocks that each
// write or unlock replaces.
func (t *thread) releaseInto(dst vclock) vclock {
	dst = append(dst[:0], t.vc...)
	t.vc[t.idx]++
	return dst
}

// channel is one channel: the clocks of messages sent and not yet
// received (by message number), the order of unnumbered ones (events of
// a stream recorded before messages were numbered), and its close.
type channel struct {
	msgs  map[uint64]vclock
	fifo  []vclock
	close vclock
}

// spawn starts the child's clock from the parent's: all the parent did
// before the spawn happens before the child's first step.
func (a *Analyzer) spawn(t *thread, e *trace.Event) {
	if e.V.Kind != trace.VInt {
		return
	}
	id := int(e.V.Int)
	if e.Obj != "" {
		a.names[id] = e.Obj
	}
	child := a.thread(id)
	if child == nil || child == t {
		return
	}
	child.vc.join(t.release())
}

// joined orders the joined thread's whole life before the joiner's next
// step. The event names the thread, so every ended thread of that name
// counts (names are unique unless a script reuses one).
func (a *Analyzer) joined(t *thread, e *trace.Event) {
	for _, u := range a.byIdx {
		if u != t && u.final != nil && a.names[u.id] == e.Obj {
			t.vc.join(u.final)
		}
	}
}

func (a *Analyzer) acquire(t *thread, name string) {
	if c, ok := a.mutexes[name]; ok {
		t.vc.join(c)
	}
}

func (a *Analyzer) unlock(t *thread, name string) {
	if _, ok := a.mutexes[name]; !ok {
		if a.objects >= maxObjects {
			return
		}
		a.objects++
	}
	a.mutexes[name] = t.releaseInto(a.mutexes[name])
}

func (a *Analyzer) sent(t *thread, e *trace.Event) {
	ch := a.channel(e.Obj)
	if ch == nil {
		return
	}
	if e.Ver > 0 {
		ch.msgs[e.Ver] = t.release()
	} else {
		ch.fifo = append(ch.fifo, t.release())
	}
}

// received takes the clock of the message received, found by its number
// (or, in a stream without numbers, the oldest one), or that of the close
// when the channel was found closed.
func (a *Analyzer) received(t *thread, e *trace.Event) {
	ch := a.channel(e.Obj)
	if ch == nil {
		return
	}
	switch {
	case e.Ver > 0:
		if c, ok := ch.msgs[e.Ver]; ok {
			t.vc.join(c)
			delete(ch.msgs, e.Ver)
		}
	case ch.close != nil && len(ch.fifo) == 0:
		t.vc.join(ch.close)
	case len(ch.fifo) > 0:
		t.vc.join(ch.fifo[0])
		ch.fifo = ch.fifo[1:]
	}
}

func (a *Analyzer) closed(t *thread, name string) {
	if ch := a.channel(name); ch != nil {
		ch.close = t.release()
	}
}
