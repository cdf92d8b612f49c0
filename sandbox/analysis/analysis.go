// Package analysis explains a finished run from its events: which
// accesses to shared cells were ordered by the run's synchronisation
// (happens-before, with vector clocks), which were not (data races), which
// write each read saw (from the cell versions that events carry), and the
// two bugs that follow from a read that went out of date: the lost update
// and the stale read.
//
// The model, which docs/protocol.md states for users:
//   - Happens-before: a spawn precedes everything the new thread does; a
//     thread's end precedes the joined of a join on it; an unlock precedes
//     the next acquire of the mutex (acquired, or a successful trylock); a
//     message's sent precedes its received; a close precedes a received
//     that found the channel closed; an atomic add, cas or swap reads the
//     clock released by the write it read and releases its own, like a
//     lock on the cell, and a set releases too (it is the store a spin lock
//     unlocks with) but a get acquires nothing.
//   - Data race: two plain accesses (get, set) to one cell from different
//     threads, not ordered, at least one a set. An atomic add, cas or swap
//     races with nothing: a get beside it reads the whole value from
//     before or after it, as a load of a Rust atomic would, and a set
//     beside it is the release store a spin lock unlocks with.
//   - Lost update: thread A gets version v of a cell; its next access to
//     the cell is a set, which finds that other threads wrote after v: their
//     writes are overwritten.
//   - Stale read: thread A gets version v; its next access to the cell is
//     an add or a swap that finds a newer version (A acted on a value that
//     had changed), or A's very next event is a check that fails while the
//     cell has changed since A read it.
//
// An Analyzer takes the events batch by batch as a run streams them, so
// the supervisor can analyse the child's whole stream without keeping it;
// its memory grows with threads and objects, not with events.
package analysis

import (
	"cmp"
	"slices"

	"interleave/sandbox/trace"
)

// Limit is how many findings of each kind a result keeps in full.
const Limit = 20

// Bounds on what one run may make the analysis hold, so that a hostile
// event stream cannot make the supervisor's memory grow without end.
const (
	maxThreads = 1024    // threads beyond are not analysed
	maxObjects = 4096    // cells, mutexes and channels beyond are not analysed
	maxQueued  = 1 << 14 // events held back waiting for the write they read
	maxEntries = 1 << 16 // threads remembered across all cells, about 400 bytes each
)

// Analyzer follows one run's events. The zero value is not ready: use New.
// It is not safe for concurrent use.
type Analyzer struct {
	threads map[int]*thread
	byIdx   []*thread
	cells   map[string]*cell
	mutexes map[string]vclock
	chans   map[string]*channel
	objects int
	entries int
	last    *cell // the cell of the last cell event, to skip a map lookup

	waiting   []*thread // threads with held-back events
	queued    int
	unordered bool // too much was held back: events are taken as they come

	found     [3][]finding // kept in full, per kind
	order     []countKey   // kinds and objects in the order first found
	counts    []int        // by index in order
	countIdx  map[countKey]int
	lastCount int         // the index of the last count, which the next usually is
	places    [][2]uint64 // where each kept data race is, by index in found
	lastDup   int         // the kept data race the last one repeated
	total     int
	names     map[int]string
}

type countKey struct {
	kind int
	obj  string
}

// New returns an analyzer for one run.
func New() *Analyzer {
	return &Analyzer{
		threads:  map[int]*thread{},
		cells:    map[string]*cell{},
		mutexes:  map[string]vclock{},
		chans:    map[string]*channel{},
		countIdx: map[countKey]int{},
		names:    map[int]string{0: "main"},
	}
}

// Analyze analyses a whole run's events and fills res's races.
func Analyze(evs []trace.Event, res *trace.Result) {
	a := New()
	a.Add(evs)
	a.Finish(res)
}

// Add analyses a batch of events, in sequence order; the batch may be
// reused once Add returns.
func (a *Analyzer) Add(evs []trace.Event) {
	for i := range evs {
		a.offer(&evs[i])
	}
}

// Finish analyses what is still held back (events whose write never
// came, as when the event limit cut the run short) and fills res.Races
// and res.RaceSummary, naming threads after res.Threads. It leaves them
// empty when nothing was found.
func (a *Analyzer) Finish(res *trace.Result) {
	a.drain()
	for a.queued > 0 {
		a.force()
	}
	for _, t := range res.Threads {
		a.names[t.ID] = t.Name
	}
	res.Races, res.RaceSummary = nil, nil
	if a.total == 0 {
		return
	}
	for _, k := range []int{kindLost, kindStale, kindData} {
		for _, f := range a.found[k] {
			res.Races = append(res.Races, a.race(f))
		}
	}
	sum := &trace.RaceSummary{Total: a.total, Limit: Limit}
	for i, k := range a.order {
		sum.Counts = append(sum.Counts, trace.RaceCount{Kind: kindNames[k.kind], Obj: k.obj, Count: a.counts[i]})
	}
	slices.SortStableFunc(sum.Counts, func(x, y trace.RaceCount) int { return cmp.Compare(kindRank(x.Kind), kindRank(y.Kind)) })
	if res.Status == trace.StatusOK && len(a.found[kindData]) > 0 {
		sum.Luck = a.luck(a.found[kindData][0])
	}
	res.RaceSummary = sum
}

// offer processes e now if everything it depends on has been processed,
// or holds it back behind the thread's earlier held-back events.
func (a *Analyzer) offer(e *trace.Event) {
	t := a.thread(e.Th)
	if t == nil {
		return
	}
	if len(t.queue) > t.qhead || !a.ready(e) {
		if len(t.queue) == t.qhead {
			a.waiting = append(a.waiting, t)
		}
		t.queue = append(t.queue, *e)
		a.queued++
		if a.queued > maxQueued {
			a.giveUpOrder()
		}
		return
	}
	a.process(t, e)
	if a.queued > 0 {
		a.drain()
	}
}

// drain processes held-back events until none is ready.
func (a *Analyzer) drain() {
	for progress := true; progress && a.queued > 0; {
		progress = false
		for i := 0; i < len(a.waiting); i++ {
			t := a.waiting[i]
			for t.qhead < len(t.queue) && a.ready(&t.queue[t.qhead]) {
				a.pop(t)
				progress = true
			}
		}
		a.waiting = slices.DeleteFunc(a.waiting, func(t *thread) bool { return t.qhead == len(t.queue) })
	}
}

// force processes the earliest held-back event although what it waits
// for has not come (it was dropped, or a corrupt stream named a version
// that does not exist), then whatever that unblocks.
func (a *Analyzer) force() {
	var first *thread
	for _, t := range a.waiting {
		if t.qhead < len(t.queue) && (first == nil || t.queue[t.qhead].Seq < first.queue[first.qhead].Seq) {
			first = t
		}
	}
	if first == nil {
		a.queued = 0
		return
	}
	a.pop(first)
	a.waiting = slices.DeleteFunc(a.waiting, func(t *thread) bool { return t.qhead == len(t.queue) })
	a.drain()
}

// giveUpOrder processes every held-back event in sequence order and
// from then on takes events as they come. A real run never holds back
// this many; a corrupt stream would otherwise cost time for each.
func (a *Analyzer) giveUpOrder() {
	var held []trace.Event
	for _, t := range a.waiting {
		held = append(held, t.queue[t.qhead:]...)
		t.queue, t.qhead = nil, 0
	}
	a.waiting, a.queued, a.unordered = nil, 0, true
	slices.SortFunc(held, func(x, y trace.Event) int { return cmp.Compare(x.Seq, y.Seq) })
	for i := range held {
		if t := a.thread(held[i].Th); t != nil {
			a.process(t, &held[i])
		}
	}
}

// pop processes the first held-back event of t.
func (a *Analyzer) pop(t *thread) {
	e := t.queue[t.qhead]
	t.qhead++
	a.queued--
	if t.qhead == len(t.queue) {
		t.queue, t.qhead = t.queue[:0], 0
	}
	a.process(t, &e)
}

// ready reports whether the write e read, or the message it received,
// has been processed: on real threads an event can come before the event
// of the write it saw, as each is recorded just after its access.
func (a *Analyzer) ready(e *trace.Event) bool {
	if e.Ver == 0 || a.unordered {
		return true
	}
	switch e.K {
	case trace.Get, trace.Set, trace.Add, trace.Cas, trace.Swap:
		c := a.cell(e.Obj)
		if c == nil {
			return true
		}
		c.versioned = true
		if isWrite(e) {
			return e.Ver <= c.ver+1
		}
		return e.Ver <= c.ver
	case trace.Received:
		ch := a.channel(e.Obj)
		if ch == nil {
			return true
		}
		_, ok := ch.msgs[e.Ver]
		return ok
	}
	return true
}

// process applies one event, in an order consistent with happens-before.
func (a *Analyzer) process(t *thread, e *trace.Event) {
	stale := t.lastGet
	t.lastGet = nil
	switch e.K {
	case trace.Spawn:
		a.spawn(t, e)
	case trace.End, trace.Panic, trace.Cutoff:
		t.final = t.vc.clone()
	case trace.Joined:
		a.joined(t, e)
	case trace.Acquired:
		a.acquire(t, e.Obj)
	case trace.TryLock:
		if e.V.Kind == trace.VBool && e.V.Int != 0 {
			a.acquire(t, e.Obj)
		}
	case trace.Unlock:
		a.unlock(t, e.Obj)
	case trace.Sent:
		a.sent(t, e)
	case trace.Received:
		a.received(t, e)
	case trace.Close:
		a.closed(t, e.Obj)
	case trace.Get, trace.Set, trace.Add, trace.Cas, trace.Swap:
		a.access(t, e)
	case trace.Check:
		if stale != nil && e.V.Kind == trace.VBool && e.V.Int == 0 {
			a.staleCheck(t, stale, e)
		}
	}
}

// thread returns the state of thread id, made on first sight; nil past
// maxThreads.
func (a *Analyzer) thread(id int) *thread {
	if t, ok := a.threads[id]; ok {
		return t
	}
	if len(a.byIdx) >= maxThreads {
		return nil
	}
	t := &thread{id: id, idx: len(a.byIdx)}
	t.vc = make(vclock, t.idx+1)
	t.vc[t.idx] = 1
	a.threads[id] = t
	a.byIdx = append(a.byIdx, t)
	return t
}

// cell returns the state of the named cell, made on first sight; nil past
// maxObjects.
func (a *Analyzer) cell(name string) *cell {
	if c := a.last; c != nil && c.name == name {
		return c
	}
	c, ok := a.cells[name]
	if !ok {
		if a.objects >= maxObjects {
			return nil
		}
		a.objects++
		c = &cell{name: name}
		a.cells[name] = c
	}
	a.last = c
	return c
}

// channel returns the state of the named channel, made on first sight;
// nil past maxObjects.
func (a *Analyzer) channel(name string) *channel {
	ch, ok := a.chans[name]
	if !ok {
		if a.objects >= maxObjects {
			return nil
		}
		a.objects++
		ch = &channel{msgs: map[uint64]vclock{}}
		a.chans[name] = ch
	}
	return ch
}
