package engine

import (
	"math/rand/v2"

	"interleave/sandbox/trace"
)

// A Chooser decides every choice of a sim-mode run: a scheduling point
// with more than one runnable candidate. The seeded random scheduler and
// the schedule replayer are choosers; an explorer brings its own. A
// chooser is called from one goroutine at a time (the baton holder), so it
// needs no lock of its own.
type Chooser interface {
	// Choose returns the id of the thread to run next: one of
	// c.Runnable, or Abandon to end the run at once. Any other id ends
	// the run with status error, as a schedule that does not fit would.
	Choose(c *Choice) int
}

// A Finisher is a Chooser that also wants the steps run after the last
// choice. The engine calls Finish once, when the run has ended (unless
// the chooser abandoned it); the last step is the one that ended the run,
// marked Final.
type Finisher interface {
	Finish(steps []Step)
}

// Abandon is what a chooser returns to end a run it has no use for (an
// explorer that finds the rest of the run redundant); the run's status is
// then stopped.
const Abandon = -1

// AbandonMessage is the message of a run a chooser abandoned.
const AbandonMessage = "stopped: the run was abandoned by its chooser."

// Choice is what a chooser sees at a choice.
type Choice struct {
	// N is the number of choices made before this one in the run.
	N int
	// Current is the running thread if it could go on; choosing another
	// thread then preempts it. It is -1 when the running thread blocked,
	// slept, yielded or ended.
	Current int
	// Yield is true when the running thread called yield_now: it is not
	// among the candidates, unless it is the only runnable thread.
	Yield bool
	// Sleeping is the number of threads asleep on the virtual clock: while
	// it is not zero, how far the clock has come decides who wakes when,
	// so the order of any two steps may matter.
	Sleeping int
	// Runnable are the candidates in order of thread id, each with the
	// operation it will perform when it runs.
	Runnable []Pending
	// Steps are the steps run since the previous choice (since the start
	// for the first), oldest first; filled only with Options.Steps. The
	// slice is reused after Choose returns.
	Steps []Step

	flush func() // emits the events recorded so far
}

// Flush returns once every event recorded before the choice has been
// handed to the run's emit function: a chooser that shows the choice to a
// person calls it first, so that the timeline is complete up to here.
func (c *Choice) Flush() {
	if c.flush != nil {
		c.flush()
	}
}

// Pending is a runnable thread and the operation it is parked at.
type Pending struct {
	Th   int
	Name string
	Op   Op
	// Blocks is true when the operation would wait if run now (a lock
	// held by another, a join of a live thread, a channel not ready): the
	// thread is runnable only in that it may try.
	Blocks bool
}

// Op is the shared operation a thread performs at the start of a step,
// or a thread-local one (ID 0): a step is everything a thread does from
// one scheduling point to the next, and every builtin that touches a
// shared object is a scheduling point, so a step touches at most one
// shared object, plus the output if it prints.
type Op struct {
	K     trace.Kind  // the builtin; KindInvalid for plain Starlark or creating an object
	Obj   string      // the object's name, for people
	ID    int         // the object's identity in the run; 0: thread-local
	V     trace.Value // the value it writes or sends, if known
	Line  int         // the script line of the call
	Write bool        // false when it only reads (a cell's get)

	blk blocker // what it may wait for
}

// blocker is an object an operation may wait for.
type blocker interface {
	// blocks reports whether t's operation would wait now; r.mu is held.
	blocks(t *thread) bool
}

func (m *mutexObj) blocks(*thread) bool { return m.owner != nil }

// blocks: joining a thread waits until it has finished.
func (t *thread) blocks(*thread) bool { return !t.state.finished() }

// chanSend and chanRecv are a channel as a sender and a receiver wait
// for it.
type (
	chanSend chanObj
	chanRecv chanObj
)

// A thread a peer has served already (chanDone) goes on; a stale
// chanDone can only make a blocking operation look ready, which costs an
// explorer time, not coverage.
func (c *chanSend) blocks(t *thread) bool {
	return !t.chanDone && !c.closed && len(c.recvq) == 0 && c.cap >= 0 && len(c.buf) >= c.cap
}

func (c *chanRecv) blocks(t *thread) bool {
	return !t.chanDone && !c.closed && len(c.buf) == 0 && len(c.sendq) == 0
}

// Object identities that are not a cell, mutex, channel or thread. The
// ID of thread n (what join waits for, and what its last step ends) is
// ThreadObject(n).
const (
	ObjOutput  = 1 // print output: the order of lines is visible
	ObjThreads = 2 // spawn: thread ids are handed out in order
	ObjCells   = 3 // cell creation: the result lists cells in order
	ObjGlobal  = 4 // conflicts with everything: sleep, main's end
	firstObjID = 16
)

// ThreadObject is the object identity of thread th: joining it reads it,
// and its last step writes it.
func ThreadObject(th int) int { return -(th + 1) }

// Step is one step of one thread: the operation it started with, and
// what else it did that another thread could see.
type Step struct {
	Th      int
	Op      Op
	Printed bool // it printed: the output's order depends on it
	Ended   bool // the thread's function returned: joiners may go on
	Final   bool // it ended the run: it conflicts with every other step
}

// Options change how a run is driven; the zero value is a normal run.
type Options struct {
	// Chooser decides sim mode's choices instead of the seeded random
	// scheduler or Request.Schedule.
	Chooser Chooser
	// NoEvents runs without recording events: the result (status, checks,
	// cells, output, schedule) is the same, only faster.
	NoEvents bool
	// Steps fills Choice.Steps.
	Steps bool
}

// NewRandomChooser returns the seeded scheduler of sim mode: at a choice
// the running thread keeps the baton with probability 3/4 (as if its time
// slice went on), else a candidate is drawn uniformly. It is what a run
// with this seed and no schedule uses.
func NewRandomChooser(seed int64) Chooser {
	return &randomChooser{rng: rand.New(rand.NewPCG(uint64(seed), 0x1e2a5eed))}
}

type randomChooser struct{ rng *rand.Rand }

func (c *randomChooser) Choose(ch *Choice) int {
	if ch.Current >= 0 && c.rng.IntN(4) != 0 {
		return ch.Current
	}
	return ch.Runnable[c.rng.IntN(len(ch.Runnable))].Th
}

// replayChooser follows a schedule, then hands over to the seeded
// scheduler when the schedule runs out.
type replayChooser struct {
	replay   []schedEntry
	n        int // choices consumed from replay[0]
	fallback Chooser
}

func (c *replayChooser) Choose(ch *Choice) int {
	if len(c.replay) == 0 {
		return c.fallback.Choose(ch)
	}
	e := &c.replay[0]
	if c.n++; c.n == e.n {
		c.replay, c.n = c.replay[1:], 0
	}
	return e.id
}
