package engine

import (
	"runtime"
	"sync/atomic"
	"time"

	"interleave/sandbox/trace"
)

// The recorder is a lock-free ring of events. A writer takes a sequence
// number with one atomic add, fills the slot seq%ringSize and publishes it
// by storing seq+1 in the slot's ready word. A single flusher goroutine
// copies contiguous ready slots into a batch, frees them and hands the
// batch to emit, every flushEvery or sooner when a writer finds the ring
// full. So memory stays bounded (the ring, not the whole trace), writers
// never take a lock, and emit sees events in sequence order from one
// goroutine.
const (
	ringBits   = 15
	ringSize   = 1 << ringBits
	ringMask   = ringSize - 1
	batchMax   = 4096
	flushEvery = 5 * time.Millisecond
)

type slot struct {
	ready atomic.Uint64 // seq+1 once the event for seq is written
	ev    trace.Event
}

type recorder struct {
	next    atomic.Uint64 // next sequence number to hand out
	_       [56]byte      // keep next on its own cache line
	flushed atomic.Uint64 // every seq below it has been copied out
	_       [56]byte
	stopped atomic.Bool // the flusher has finished; writers give up waiting
	limit   uint64      // events beyond it are dropped, not recorded

	ring  []slot
	emit  func([]trace.Event)
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	batch []trace.Event

	// Owned by the flusher goroutine until done is closed.
	tids    map[int]struct{}
	lastTid int
	emitted uint64
}

func newRecorder(limit int, emit func([]trace.Event)) *recorder {
	if emit == nil {
		emit = func([]trace.Event) {}
	}
	return &recorder{
		limit: uint64(limit),
		ring:  make([]slot, ringSize),
		emit:  emit,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		batch: make([]trace.Event, 0, batchMax),
		tids:  map[int]struct{}{},
	}
}

// reserve returns the slot for the next event, or nil if the event limit
// is reached (the event is then counted as dropped). The caller fills the
// event and calls publish.
func (r *recorder) reserve() (*slot, uint64) {
	seq := r.next.Add(1) - 1
	if seq >= r.limit {
		return nil, seq
	}
	for seq >= r.flushed.Load()+ringSize {
		// The ring is full: wake the flusher and wait for it.
		if r.stopped.Load() {
			return nil, seq
		}
		select {
		case r.kick <- struct{}{}:
		default:
		}
		runtime.Gosched()
	}
	return &r.ring[seq&ringMask], seq
}

func (s *slot) publish(seq uint64) { s.ready.Store(seq + 1) }

// start runs the flusher until finish is called.
func (r *recorder) start() {
	go r.loop()
}

func (r *recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			r.drain(true)
			return
		case <-t.C:
		case <-r.kick:
		}
		r.drain(false)
	}
}

// drain emits every contiguous ready event; when final, it first waits for
// every event handed out so far to be written.
func (r *recorder) drain(final bool) {
	pos := r.flushed.Load()
	end := r.next.Load()
	if end > r.limit {
		end = r.limit
	}
	for {
		if pos >= end {
			break
		}
		s := &r.ring[pos&ringMask]
		if s.ready.Load() != pos+1 {
			if !final {
				break
			}
			// A writer holds this slot for a few instructions more.
			runtime.Gosched()
			continue
		}
		ev := s.ev
		r.batch = append(r.batch, ev)
		if ev.HasOS && ev.Tid != r.lastTid {
			r.lastTid = ev.Tid
			r.tids[ev.Tid] = struct{}{}
		}
		pos++
		r.flushed.Store(pos)
		if len(r.batch) == batchMax {
			r.flush()
		}
	}
	r.flush()
}

func (r *recorder) flush() {
	if len(r.batch) == 0 {
		return
	}
	r.emitted += uint64(len(r.batch))
	r.emit(r.batch)
	r.batch = r.batch[:0]
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
}

// counts returns the events emitted and dropped. Call after finish.
func (r *recorder) counts() (events, dropped int64) {
	n := r.next.Load()
	if n > r.limit {
		return int64(r.emitted), int64(n - r.limit)
	}
	return int64(r.emitted), 0
}
