package trace

import (
	"cmp"
	"slices"
)

// Span is a stretch of one thread's lane: a wait between a blocking
// request and its completion, or a lock held from acquired to unlock.
// Kinds: wait (for a lock), join, send, recv, sleep, work, hold, cvwait
// (on a condvar), barrier, sem (a semaphore), park, once.
type Span struct {
	Thread     int     `json:"thread"`
	Kind       string  `json:"kind"`
	Obj        string  `json:"obj"`
	StartSeq   uint64  `json:"start_seq"`
	StartT     int64   `json:"start_t"`
	EndSeq     *uint64 `json:"end_seq"` // nil: no completion came
	EndT       *int64  `json:"end_t"`   // nil: the thread never ended either
	Unfinished bool    `json:"unfinished"`
	// Waits are the stretches of a work span in which its thread was
	// runnable but not running (runnable events), from and to, in order.
	Waits   [][2]int64 `json:"waits,omitempty"`
	removed bool       // closed with no time passed: nothing to draw
}

// Arrow links two events of different lanes: spawn (spawn to start),
// join (the child's end to joined), handoff (unlock to the next acquired
// of that mutex by another thread) and message (a send to its receive).
type Arrow struct {
	Kind       string `json:"kind"`
	Obj        string `json:"obj"`
	FromThread int    `json:"from_thread"`
	FromSeq    uint64 `json:"from_seq"`
	FromT      int64  `json:"from_t"`
	ToThread   int    `json:"to_thread"`
	ToSeq      uint64 `json:"to_seq"`
	ToT        int64  `json:"to_t"`
}

// Folding is a run's events folded into what a timeline draws: spans
// sorted by the event that opened them, arrows by the event they point
// to, and the seqs of the events drawn as instants. The page's model
// (web/static/timeline/model.js) folds the same way; both are held to the
// fixtures in web/testdata/fold (docs/timeline.md).
type Folding struct {
	Spans    []Span   `json:"spans"`
	Arrows   []Arrow  `json:"arrows"`
	Instants []uint64 `json:"instants"`
}

// ArrowKinds orders arrows that point to one event.
var ArrowKinds = []string{"spawn", "join", "handoff", "message"}

var (
	spanOpens = map[Kind]string{Lock: "wait", Join: "join", Send: "send", Recv: "recv", Sleep: "sleep", Work: "work",
		CvWait: "cvwait", BarrierWait: "barrier", SemAcquire: "sem", Park: "park", Once: "once"}
	spanEnds = map[Kind]string{Acquired: "wait", Joined: "join", Sent: "send", Received: "recv", Wake: "sleep", Worked: "work",
		CvWoke: "cvwait", BarrierPassed: "barrier", SemAcquired: "sem", Unparked: "park", OnceDone: "once"}
)

// IsInstant says whether events of kind k are drawn as instants.
func IsInstant(k Kind) bool {
	switch k {
	case Spawn, Start, End, Panic, Cutoff, Get, Set, Add, Cas, Swap, Print, Check, TryLock, Close, Yield, Notify, SemRelease, SemTry, Unpark:
		return true
	}
	return false
}

type foldLane struct {
	open  map[string]*Span // kind -> the open span of the wait row
	holds map[string]*Span // mutex -> its open hold
}

type foldChan struct {
	sent, recv []Event
	closed     bool
}

// folder keeps what the folding needs between events.
type folder struct {
	spans      []*Span
	arrows     []Arrow
	instants   []uint64
	lanes      map[int]*foldLane
	names      map[int]string // thread id -> its name
	byName     map[string]int // thread name -> the latest id of that name
	spawnOf    map[int]Event
	startOf    map[int]Event
	endOf      map[int]Event
	joining    map[int]int     // joiner -> the id its join names
	pending    map[int][]Event // child -> joined events waiting for its end
	lastUnlock map[string]Event
	chans      map[string]*foldChan
	sendFrom   map[uint64]int64 // a sent's seq -> when its send was asked
}

// Fold folds events, in sequence order, into spans, arrows and instants.
func Fold(events []Event) Folding {
	f := &folder{
		lanes: map[int]*foldLane{}, names: map[int]string{}, byName: map[string]int{}, spawnOf: map[int]Event{},
		startOf: map[int]Event{}, endOf: map[int]Event{}, joining: map[int]int{},
		pending: map[int][]Event{}, lastUnlock: map[string]Event{}, chans: map[string]*foldChan{},
		sendFrom: map[uint64]int64{},
	}
	for _, e := range events {
		f.add(e)
	}
	out := Folding{Spans: []Span{}, Arrows: f.arrows, Instants: f.instants}
	for _, s := range f.spans {
		if !s.removed {
			out.Spans = append(out.Spans, *s)
		}
	}
	slices.SortStableFunc(out.Spans, func(a, b Span) int {
		return cmp.Or(cmp.Compare(a.StartSeq, b.StartSeq), cmp.Compare(a.Thread, b.Thread))
	})
	if out.Arrows == nil {
		out.Arrows = []Arrow{}
	}
	slices.SortStableFunc(out.Arrows, func(a, b Arrow) int {
		return cmp.Or(cmp.Compare(a.ToSeq, b.ToSeq),
			cmp.Compare(slices.Index(ArrowKinds, a.Kind), slices.Index(ArrowKinds, b.Kind)))
	})
	if out.Instants == nil {
		out.Instants = []uint64{}
	}
	slices.Sort(out.Instants)
	return out
}

func (f *folder) lane(th int) *foldLane {
	l := f.lanes[th]
	if l == nil {
		l = &foldLane{open: map[string]*Span{}, holds: map[string]*Span{}}
		f.lanes[th] = l
	}
	return l
}

func (f *folder) add(e Event) {
	l := f.lane(e.Th)
	if IsInstant(e.K) {
		f.instants = append(f.instants, e.Seq)
	}
	if kind, ok := spanOpens[e.K]; ok {
		s := f.open(e, kind)
		l.open[kind] = s
	}
	if kind, ok := spanEnds[e.K]; ok {
		f.close(l, kind, e)
	}
	switch e.K {
	case Spawn:
		if e.V.Kind == VInt {
			child := int(e.V.Int)
			if e.Obj != "" {
				f.byName[e.Obj], f.names[child] = child, e.Obj
			}
			f.spawnOf[child] = e
			if st, ok := f.startOf[child]; ok {
				f.arrow("spawn", e, st, e.Obj)
			}
		}
	case Start:
		if e.Obj != "" {
			f.byName[e.Obj], f.names[e.Th] = e.Th, e.Obj
		}
		if sp, ok := f.spawnOf[e.Th]; ok {
			f.arrow("spawn", sp, e, f.names[e.Th])
		} else {
			f.startOf[e.Th] = e
		}
	case End, Panic, Cutoff:
		f.end(l, e)
	case Join:
		if e.V.Kind == VInt {
			f.joining[e.Th] = int(e.V.Int)
		}
	case Joined:
		f.joined(e)
	case Acquired:
		f.acquire(l, e)
	case TryLock:
		if e.V.Kind == VBool && e.V.Int != 0 {
			f.acquire(l, e)
		}
	case Unlock:
		if h := l.holds[e.Obj]; h != nil {
			h.EndSeq, h.EndT = ptr(e.Seq), ptr(e.T)
			delete(l.holds, e.Obj)
		}
		f.lastUnlock[e.Obj] = e
	case Sent, Received:
		f.message(e)
	case Close:
		f.channel(e.Obj).closed = true
	case Runnable:
		if s := l.open["work"]; s != nil && e.V.Kind == VInt {
			f.runnable(s, e)
		}
	}
}

func (f *folder) open(e Event, kind string) *Span {
	s := &Span{Thread: e.Th, Kind: kind, Obj: e.Obj, StartSeq: e.Seq, StartT: e.T}
	f.spans = append(f.spans, s)
	return s
}

func (f *folder) close(l *foldLane, kind string, e Event) {
	s := l.open[kind]
	if s == nil {
		return
	}
	delete(l.open, kind)
	s.EndSeq, s.EndT = ptr(e.Seq), ptr(e.T)
	// No time passed: nothing to draw, and an empty span would only hide
	// the instants around it.
	s.removed = e.T <= s.StartT
	if kind == "send" && !s.removed {
		f.sendFrom[e.Seq] = s.StartT
	}
}

// end closes what the thread left open, unfinished, and draws the joins
// that waited for it.
func (f *folder) end(l *foldLane, e Event) {
	for _, m := range []map[string]*Span{l.open, l.holds} {
		for k, s := range m {
			s.EndT = ptr(max(e.T, s.StartT))
			s.Unfinished = true
			delete(m, k)
		}
	}
	f.endOf[e.Th] = e
	for _, j := range f.pending[e.Th] {
		f.arrow("join", e, j, f.names[e.Th])
	}
	delete(f.pending, e.Th)
}

// joined links a join to the end of the thread it waited for: the id
// its join named, or, in runs recorded before joins carried it, the
// latest thread of that name.
func (f *folder) joined(e Event) {
	child, ok := f.joining[e.Th]
	delete(f.joining, e.Th)
	if !ok {
		if child, ok = f.byName[e.Obj]; !ok {
			return
		}
	}
	if end, ok := f.endOf[child]; ok {
		f.arrow("join", end, e, e.Obj)
		return
	}
	f.pending[child] = append(f.pending[child], e)
}

// runnable adds a wait to a work span: v ns up to the event. Its start
// is held within the span and after the wait before it, which the event
// clock's conversion from ticks can put a microsecond apart.
func (f *folder) runnable(s *Span, e Event) {
	from := max(e.T-e.V.Int, s.StartT)
	if n := len(s.Waits); n > 0 {
		from = max(from, s.Waits[n-1][1])
	}
	if from < e.T {
		s.Waits = append(s.Waits, [2]int64{from, e.T})
	}
}

func (f *folder) acquire(l *foldLane, e Event) {
	if u, ok := f.lastUnlock[e.Obj]; ok && u.Th != e.Th {
		f.arrow("handoff", u, e, e.Obj)
	}
	l.holds[e.Obj] = f.open(e, "hold")
}

func (f *folder) channel(name string) *foldChan {
	c := f.chans[name]
	if c == nil {
		c = &foldChan{}
		f.chans[name] = c
	}
	return c
}

// message pairs the i-th value sent on a channel with the i-th received
// (the None of a closed, drained channel is no message), drawn from the
// moment the sender asked to send.
func (f *folder) message(e Event) {
	c := f.channel(e.Obj)
	var i int
	if e.K == Sent {
		c.sent = append(c.sent, e)
		i = len(c.sent) - 1
	} else {
		drained := e.V.Kind == VNone || e.V.Kind == VNull
		if drained && c.closed && len(c.recv) >= len(c.sent) {
			return
		}
		c.recv = append(c.recv, e)
		i = len(c.recv) - 1
	}
	if i >= len(c.sent) || i >= len(c.recv) {
		return
	}
	sent, recv := c.sent[i], c.recv[i]
	from := sent
	if t, ok := f.sendFrom[sent.Seq]; ok {
		from.T = t
	}
	f.arrow("message", from, recv, sent.Obj)
}

func (f *folder) arrow(kind string, from, to Event, obj string) {
	f.arrows = append(f.arrows, Arrow{Kind: kind, Obj: obj,
		FromThread: from.Th, FromSeq: from.Seq, FromT: from.T,
		ToThread: to.Th, ToSeq: to.Seq, ToT: to.T})
}

func ptr[T any](v T) *T { return &v }
