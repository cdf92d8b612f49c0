package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"interleave/sandbox/trace"
)

// The recorder is a lock-free ring of events. A writer takes a position
// with one atomic add, fills the slot pos%ringSize and publishes it by
// storing pos+1 in the slot's ready word. A single flusher goroutine
// copies contiguous ready slots into a batch, frees them and hands the
// batch to emit, every flushEvery or sooner when a writer finds the ring
// half full (a writer that finds it full waits). So memory stays bounded
// (the ring, not the whole trace), writers never take a lock, and emit
// sees events in sequence order from one goroutine.
const (
	ringBits   = 13 // 8192 slots of 128 bytes: 1 MiB
	ringSize   = 1 << ringBits
	ringMask   = ringSize - 1
	batchMax   = 1024
	flushEvery = 5 * time.Millisecond
	firstFlush = 250 * time.Microsecond
)

type slot struct {
	ready atomic.Uint64 // pos+1 once the event at position pos is written
	ev    trace.Event
}

// Positions in the ring count on from one run to the next, so that a
// pooled ring needs no clearing: a slot's ready word holds position+1,
// and every stale value is below the new run's first position. The
// sequence number of an event is its position minus base.
type recorder struct {
	next    atomic.Uint64 // next position to hand out
	_       [56]byte      // keep next on its own cache line
	flushed atomic.Uint64 // every position below it has been copied out
	_       [56]byte
	stopped atomic.Bool // the flusher has finished; writers give up waiting
	base    uint64      // the position of seq 0
	limit   uint64      // events beyond it are dropped, not recorded

	ring *ring
	emit func([]trace.Event)
	kick chan struct{}
	stop chan struct{}
	// syncq asks the flusher to emit every event recorded so far and
	// close the channel it is sent when it has (see sync).
	syncq chan chan struct{}

	// Writers that find the ring full sleep on space until freed.
	spaceMu sync.Mutex
	space   *sync.Cond
	waiters atomic.Int32
	done    chan struct{}
	batch   []trace.Event

	// Owned by the flusher goroutine until done is closed.
	tids    map[int]struct{}
	lastTid int
	emitted uint64

	// TSC calibration (tsc true): events carry raw ticks, turned into ns
	// since the start by linear interpolation between clock points that
	// the flusher takes as it drains.
	tsc   bool
	t0    int64 // nanotime at the start of the run
	prev  clockPoint
	slope float64 // ns per tick over the last segment
}

type clockPoint struct{ tick, ns int64 }

// minSegment is the shortest interval used to measure the tick rate.
const minSegment = 50 * time.Microsecond

// ring is the slots of a recorder, pooled across runs: zeroing a fresh
// megabyte costs more than a small run.
type ring struct {
	slots []slot
	batch []trace.Event
	next  uint64 // the first position a new run may use
}

var rings = sync.Pool{New: func() any {
	return &ring{slots: make([]slot, ringSize), batch: make([]trace.Event, 0, batchMax)}
}}

func newRecorder(limit int, emit func([]trace.Event)) *recorder {
	if emit == nil {
		emit = func([]trace.Event) {}
	}
	rg := getRing()
	r := &recorder{
		base:  rg.next,
		limit: uint64(limit),
		ring:  rg,
		emit:  emit,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		syncq: make(chan chan struct{}),
		done:  make(chan struct{}),
		batch: rg.batch[:0],
		tids:  map[int]struct{}{},
	}
	r.space = sync.NewCond(&r.spaceMu)
	r.next.Store(rg.next)
	r.flushed.Store(rg.next)
	return r
}

// release returns the ring to the pool. Call it only when no writer can
// touch it any more.
func (r *recorder) release() {
	if r.ring == nil {
		return
	}
	r.ring.next = r.next.Load() + 1
	rings.Put(r.ring)
	r.ring = nil
}

// reserve returns the slot for the next event, or nil if the event limit
// is reached (the event is then counted as dropped). The caller fills the
// event and calls publish.
func (r *recorder) reserve() (*slot, uint64) {
	pos := r.next.Add(1) - 1
	seq := pos - r.base
	if seq >= r.limit {
		return nil, seq
	}
	f := r.flushed.Load()
	if pos-f >= ringSize/2 && pos&255 == 0 {
		r.wakeFlusher() // half full: drain before writers have to wait
	}
	for spins := 0; pos >= f+ringSize; spins++ {
		// The ring is full: wake the flusher and wait for it, briefly by
		// yielding, then asleep. A locked OS thread that only yielded
		// would spin, burning the run's CPU time while the reader of the
		// event pipe (and so the flusher) is slow.
		if r.stopped.Load() {
			return nil, seq
		}
		r.wakeFlusher()
		if spins < 16 {
			runtime.Gosched()
		} else {
			r.waitForSpace(pos)
		}
		f = r.flushed.Load()
	}
	return &r.ring.slots[pos&ringMask], seq
}

// waitForSpace sleeps until the flusher frees the slot for pos or stops.
func (r *recorder) waitForSpace(pos uint64) {
	r.waiters.Add(1)
	r.spaceMu.Lock()
	for pos >= r.flushed.Load()+ringSize && !r.stopped.Load() {
		r.space.Wait()
	}
	r.spaceMu.Unlock()
	r.waiters.Add(-1)
}

// freed stores the new flushed position and wakes writers waiting for
// space. The waiters count is read after the store, and a writer counts
// itself before it looks at flushed, so no wake-up is lost.
func (r *recorder) freed(pos uint64) {
	r.flushed.Store(pos)
	if r.waiters.Load() > 0 {
		r.spaceMu.Lock()
		r.space.Broadcast()
		r.spaceMu.Unlock()
	}
}

func (r *recorder) wakeFlusher() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// publish marks the slot written; r.base+seq is its position.
func (r *recorder) publish(s *slot, seq uint64) { s.ready.Store(r.base + seq + 1) }

// start runs the flusher until finish is called. With tsc, events carry
// TSC ticks that the flusher converts.
func (r *recorder) start(start int64, tsc bool) {
	r.t0, r.tsc = start, tsc
	if tsc {
		r.prev = clockPoint{rdtsc(), 0}
	}
	go r.loop()
}

// idle makes a recorder that emits nothing: finish returns at once, and
// the few events still reserved (cutoffs) are dropped with the ring.
func (r *recorder) idle() {
	r.stopped.Store(true)
	close(r.done)
}

// calibrate returns the segment that converts the ticks of the events
// about to be drained: from the previous clock point to now.
func (r *recorder) calibrate() (from clockPoint, slope float64) {
	for {
		cur := clockPoint{rdtsc(), nanotime() - r.t0}
		if cur.ns-r.prev.ns >= int64(minSegment) && cur.tick > r.prev.tick {
			from = r.prev
			r.slope = float64(cur.ns-r.prev.ns) / float64(cur.tick-r.prev.tick)
			r.prev = cur
			return from, r.slope
		}
		if r.slope > 0 {
			return r.prev, r.slope // too soon: extend the last segment
		}
		// The first segment of a short run: spin until it is long enough
		// to measure (a sleep could take a millisecond to come back).
		runtime.Gosched()
	}
}

func (r *recorder) loop() {
	defer close(r.done)
	// The first events of a run go out at once (a student has just
	// pressed Run); then the interval doubles up to flushEvery, where
	// batches are large enough to be cheap.
	interval := firstFlush
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			r.drain(true)
			return
		case <-t.C:
			interval = min(2*interval, flushEvery)
			t.Reset(interval)
		case <-r.kick:
		case done := <-r.syncq:
			r.drain(true)
			close(done)
			continue
		}
		// Keep draining while writers keep up the pace.
		for r.drain(false) >= batchMax {
		}
	}
}

// drain emits every contiguous ready event and returns how many; when
// final, it first waits for every event handed out so far to be written.
func (r *recorder) drain(final bool) int {
	pos := r.flushed.Load()
	start := pos
	end := min(r.next.Load(), r.base+r.limit)
	var from clockPoint
	var slope float64
	if r.tsc && pos < end {
		from, slope = r.calibrate()
	}
	for {
		if pos >= end {
			break
		}
		s := &r.ring.slots[pos&ringMask]
		if s.ready.Load() != pos+1 {
			if !final {
				break
			}
			// A writer holds this slot for a few instructions more.
			runtime.Gosched()
			continue
		}
		r.batch = append(r.batch, s.ev)
		if r.tsc {
			ev := &r.batch[len(r.batch)-1]
			ev.T = from.ns + int64(float64(ev.T-from.tick)*slope)
		}
		if ev := &s.ev; ev.HasOS && ev.Tid != r.lastTid {
			r.lastTid = ev.Tid
			r.tids[ev.Tid] = struct{}{}
		}
		pos++
		if len(r.batch) == batchMax {
			// Free the copied slots once per batch, not per event, so
			// that writers rarely see the flushed word change.
			r.freed(pos)
			r.flush()
		}
	}
	r.freed(pos)
	r.flush()
	return int(pos - start)
}

func (r *recorder) flush() {
	if len(r.batch) == 0 {
		return
	}
	r.emitted += uint64(len(r.batch))
	r.emit(r.batch)
	r.batch = r.batch[:0]
}

// sync returns once every event recorded before the call has been
// emitted. Only sim mode calls it, from the baton holder: no other thread
// records meanwhile, so every slot handed out is written already. A
// recorder without a flusher (idle) or one that has finished returns at
// once.
func (r *recorder) sync() {
	if r.stopped.Load() {
		return
	}
	done := make(chan struct{})
	select {
	case r.syncq <- done:
	case <-r.done:
		return
	}
	select {
	case <-done:
	case <-r.done:
	}
}

// finish stops the flusher after a final flush of every event recorded so
// far. Writers that arrive later are ignored. Call it once.
func (r *recorder) finish() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
	r.stopped.Store(true)
	r.spaceMu.Lock()
	r.space.Broadcast()
	r.spaceMu.Unlock()
}

// counts returns the events emitted and dropped. Call after finish.
func (r *recorder) counts() (events, dropped int64) {
	n := r.next.Load() - r.base
	if n > r.limit {
		return int64(r.emitted), int64(n - r.limit)
	}
	return int64(r.emitted), 0
}
